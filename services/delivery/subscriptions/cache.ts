// Each org's live subscriptions, kept in memory: most events belong to orgs whose subscriptions rarely change.
import type { NatsConnection } from "nats";
import { subscriptionChanges, subscriptionsChangedSubject } from "../../shared/streams.js";
import type { SubscriptionRow, SubscriptionStore } from "./store.js";

// Orgs whose subscriptions are kept; the least recently used go first. An entry is a short list (often empty).
const maxCachedOrgs = 10_000;
// A safety net only: every change is announced over NATS, and a lost connection empties the cache.
const maxAgeMs = 60_000;

interface Entry {
  loadedAt: number;
  subscriptions: Promise<SubscriptionRow[]>;
}

/**
 * Looking subscriptions up in Postgres for every event cost more than delivering to them. Every change is
 * announced on NATS (by whichever replica served it) before the change is acknowledged to its caller, so an
 * event published after a change always meets the new list.
 */
export class SubscriptionCache {
  readonly #orgs = new Map<string, Entry>();

  constructor(
    private readonly store: SubscriptionStore,
    private readonly nc: NatsConnection,
  ) {
    nc.subscribe(subscriptionChanges, {
      callback: (err, msg) => {
        if (!err) this.forget(msg.subject.split(".").pop()!);
      },
    });
    void this.#forgetAllOnReconnect();
  }

  /** The org's live subscriptions, from memory when known. */
  forOrg(orgId: string): Promise<SubscriptionRow[]> {
    const cached = this.#orgs.get(orgId);
    if (cached && performance.now() - cached.loadedAt < maxAgeMs) return cached.subscriptions;
    const entry = { loadedAt: performance.now(), subscriptions: this.store.listSubscriptions(orgId) };
    this.#orgs.delete(orgId);
    if (this.#orgs.size >= maxCachedOrgs) this.#orgs.delete(this.#orgs.keys().next().value!);
    this.#orgs.set(orgId, entry);
    // A failed load is not a verdict: the next event asks again.
    entry.subscriptions.catch(() => this.#orgs.get(orgId) === entry && this.#orgs.delete(orgId));
    return entry.subscriptions;
  }

  /** Tells every replica, this one included, that the org's subscriptions changed; resolves once NATS has the news. */
  async changed(orgId: string): Promise<void> {
    this.forget(orgId);
    this.nc.publish(subscriptionsChangedSubject(orgId));
    await this.nc.flush();
  }

  /** Drops this replica's copy of the org's subscriptions at once; the others hear of the change from the outbox. */
  forget(orgId: string): void {
    this.#orgs.delete(orgId);
  }

  // Announcements made while we were disconnected are lost: nothing cached before then can be trusted.
  async #forgetAllOnReconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "reconnect" || status.type === "disconnect") this.#orgs.clear();
    }
  }
}
