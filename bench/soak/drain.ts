// After publishing: waits until the webhook has received every accepted event and every consumer has caught up, or
// until the drain's time is up.

export interface DrainState {
  accepted: string[];
  deliveries: Map<string, number>;
  lagNow(): Promise<Record<string, number | undefined>>;
  /** The most lag counted as caught up. */
  endLag: number;
}

const checkEveryMs = 2_000;

/** True once all is delivered and caught up; false when `seconds` passed first. */
export async function drain(state: DrainState, seconds: number): Promise<boolean> {
  const deadline = performance.now() + seconds * 1000;
  for (;;) {
    const delivered = state.accepted.every((id) => state.deliveries.has(id));
    const lag = Object.values(await state.lagNow());
    if (delivered && lag.every((l) => l !== undefined && l <= state.endLag)) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, checkEveryMs));
  }
}
