// Wakes long-polling listers when their org's events arrive: one NATS subscription per process, announced by the projections.
import type { NatsConnection, Subscription } from "nats";
import { inboxArrivalSubject, inboxArrivals, orgOfInboxArrival } from "../shared/streams.js";

/** The announcements of one org's arrivals, from the moment the watch began: none is missed between two waits. */
export interface ArrivalWatch {
  /** Resolves once events have been announced since the watch began or the last call, after ms, or once signal aborts. */
  next(ms: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

interface Watcher {
  announced: boolean;
  wake: (() => void) | undefined;
}

export class Arrivals {
  readonly #watching = new Map<string, Set<Watcher>>();
  readonly #subscription: Subscription;

  constructor(private readonly nc: NatsConnection) {
    this.#subscription = nc.subscribe(inboxArrivals, {
      callback: (err, msg) => {
        if (!err) this.#announced(orgOfInboxArrival(msg.subject));
      },
    });
  }

  /** Tells every inbox replica that events of these orgs were stored. */
  announce(orgIds: Iterable<string>): void {
    for (const orgId of new Set(orgIds)) this.nc.publish(inboxArrivalSubject(orgId));
  }

  /** Start watching before reading the inbox: an arrival between the reading and the wait then still wakes it. */
  watch(orgId: string): ArrivalWatch {
    const watcher: Watcher = { announced: false, wake: undefined };
    const watchers = this.#watching.get(orgId) ?? new Set();
    this.#watching.set(orgId, watchers);
    watchers.add(watcher);
    return {
      next: (ms, signal) => waitFor(watcher, ms, signal),
      close: () => {
        watchers.delete(watcher);
        if (watchers.size === 0 && this.#watching.get(orgId) === watchers) this.#watching.delete(orgId);
      },
    };
  }

  close(): void {
    this.#subscription.unsubscribe();
  }

  #announced(orgId: string): void {
    for (const watcher of this.#watching.get(orgId) ?? []) {
      watcher.announced = true;
      watcher.wake?.();
    }
  }
}

function waitFor(watcher: Watcher, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      watcher.wake = undefined;
      watcher.announced = false;
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    watcher.wake = done;
    if (watcher.announced || signal?.aborted) done();
  });
}
