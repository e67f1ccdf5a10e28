// Wakes whoever waits for an org's events (the inbox's long-polls and streams, the gateway's streams): one NATS subscription per process, announced by the projections.
import type { NatsConnection, Subscription } from "nats";
import { inboxArrivalSubject, inboxArrivals, orgOfInboxArrival } from "./streams.js";

/** The announcements of one org's arrivals, from the moment the watch began: none is missed between two waits. */
export interface ArrivalWatch {
  /**
   * Resolves once events have been announced since the watch began or the last call, after ms (never when it is
   * infinite), or once signal aborts.
   */
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
    void this.#wakeAllOnReconnect();
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

  // Announcements are core NATS: those made while the connection was down are lost. Every watcher reads again.
  async #wakeAllOnReconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "reconnect") for (const orgId of this.#watching.keys()) this.#announced(orgId);
    }
  }
}

// setTimeout's longest delay; a longer one fires at once.
const maxTimerMs = 2 ** 31 - 1;

function waitFor(watcher: Watcher, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      watcher.wake = undefined;
      watcher.announced = false;
      resolve();
    };
    // An endless wait (a stream's) ends only by an announcement or the signal.
    const timer = Number.isFinite(ms) ? setTimeout(done, Math.min(ms, maxTimerMs)) : undefined;
    signal?.addEventListener("abort", done, { once: true });
    watcher.wake = done;
    if (watcher.announced || signal?.aborted) done();
  });
}
