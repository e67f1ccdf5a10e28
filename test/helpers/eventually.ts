// Waiting for what happens asynchronously: poll until it has happened, give up after a bound generous enough for a loaded machine.

// Two test runs sharing two cores can take several times as long as one run alone.
const tries = 600;
const pauseMs = 50;

/**
 * Polls until check returns a value other than undefined, and returns it; fails naming `what` if it never does
 * within about withinMs (longer when the checks themselves are slow).
 */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what = "the condition",
  withinMs = tries * pauseMs,
): Promise<T> {
  for (let attempt = 0; attempt < withinMs / pauseMs; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Polls until done returns true, for work whose length depends on the machine (a backlog a loaded machine works off
 * slowly): fails naming `what` only when progress, a count that grows as the work does, stops growing for stallMs.
 */
export async function whileProgressing(
  check: () => Promise<{ done: boolean; progress: number }>,
  what: string,
  stallMs = 60_000,
): Promise<void> {
  let best = -1;
  let movedAt = Date.now();
  for (;;) {
    const { done, progress } = await check();
    if (done) return;
    if (progress > best) [best, movedAt] = [progress, Date.now()];
    else if (Date.now() - movedAt > stallMs) throw new Error(`gave up waiting for ${what}: stuck at ${best} for ${stallMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
