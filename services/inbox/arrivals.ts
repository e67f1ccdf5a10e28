// Wakes long-polling listers when their org's events arrive: one NATS subscription per process, announced by the projections.
import type { NatsConnection, Subscription } from "nats";
import { inboxArrivalSubject, inboxArrivals, orgOfInboxArrival } from "../shared/streams.js";

export class Arrivals {
  readonly #waiting = new Map<string, Set<() => void>>();
  readonly #subscription: Subscription;

  constructor(private readonly nc: NatsConnection) {
    this.#subscription = nc.subscribe(inboxArrivals, {
      callback: (err, msg) => {
        if (!err) this.#wake(orgOfInboxArrival(msg.subject));
      },
    });
  }

  /** Tells every inbox replica that events of these orgs were stored. */
  announce(orgIds: Iterable<string>): void {
    for (const orgId of new Set(orgIds)) this.nc.publish(inboxArrivalSubject(orgId));
  }

  /** Resolves when events of the org are next announced, after ms, or once signal aborts, whichever comes first. */
  next(orgId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiting.get(orgId) ?? new Set();
      this.#waiting.set(orgId, waiters);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiting.get(orgId) === waiters) this.#waiting.delete(orgId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      waiters.add(done);
    });
  }

  close(): void {
    this.#subscription.unsubscribe();
  }

  #wake(orgId: string): void {
    for (const done of [...(this.#waiting.get(orgId) ?? [])]) done();
  }
}
