// Bounds the webhook POSTs in flight, per subscription and in total, so that one slow endpoint cannot take every slot.
import { Limiter } from "./limiter.js";

export class Lanes {
  readonly #lanes = new Map<string, Limiter>();
  readonly #total: Limiter;
  #onRoom: (() => void) | undefined;

  constructor(
    total: number,
    readonly perSubscription: number,
  ) {
    this.#total = new Limiter(total);
  }

  /** Attempts of the subscription running or waiting here. */
  load(subscriptionId: string): number {
    return this.#lanes.get(subscriptionId)?.load ?? 0;
  }

  /** How many more attempts could start at once. */
  free(): number {
    return Math.max(0, this.#total.max - this.#total.load);
  }

  /** The subscriptions with no free slot here. */
  full(): string[] {
    return [...this.#lanes].filter(([, lane]) => lane.load >= this.perSubscription).map(([id]) => id);
  }

  /** Calls back, once, as soon as a full lane has room again; a newer request replaces an older one. */
  whenRoom(callback: () => void): void {
    this.#onRoom = callback;
  }

  /** Runs the attempt once its subscription's lane, then the total, have room: waiting for its lane takes no total slot. */
  async run<T>(subscriptionId: string, attempt: () => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(subscriptionId);
    if (!lane) {
      lane = new Limiter(this.perSubscription);
      this.#lanes.set(subscriptionId, lane);
    }
    try {
      return await lane.run(() => this.#total.run(attempt));
    } finally {
      if (lane.load === 0 && this.#lanes.get(subscriptionId) === lane) this.#lanes.delete(subscriptionId);
      if (lane.load < this.perSubscription) this.#roomMade();
    }
  }

  #roomMade(): void {
    const callback = this.#onRoom;
    this.#onRoom = undefined;
    callback?.();
  }
}
