// Bounds the webhook POSTs in flight, per subscription and in total, so that one slow endpoint cannot take every slot.
import { Limiter } from "./limiter.js";

export class Lanes {
  readonly #lanes = new Map<string, Limiter>();
  readonly #total: Limiter;
  // Subscriptions with deliveries left due in Postgres because their lane was full: their room is news to the scheduler.
  readonly #overflowing = new Set<string>();
  #onRoom: () => void = () => undefined;

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

  /** Notes that deliveries of the subscription were left due, for any worker, because its lane was full. */
  overflowed(subscriptionId: string): void {
    this.#overflowing.add(subscriptionId);
  }

  /** Calls back whenever the lane of a subscription that overflowed has room again, so that its backlog drains at once. */
  onRoom(callback: () => void): void {
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
      if (lane.load < this.perSubscription && this.#overflowing.delete(subscriptionId)) this.#onRoom();
    }
  }
}
