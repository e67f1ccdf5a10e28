// The delivery store's subscriptions and attempts in memory, scoped by org as the Postgres store is, for route tests.
import type { SubscriptionsAndAttempts } from "../../services/delivery/routes.js";
import type { AttemptRow, SubscriptionRow } from "../../services/delivery/store.js";

export class MemoryDeliveryStore implements SubscriptionsAndAttempts {
  readonly subscriptions: SubscriptionRow[] = [];
  /** Recorded attempts, with the org of their event. */
  readonly attempts: Array<AttemptRow & { org_id: string }> = [];

  async createSubscription(sub: { id: string; orgId: string; url: string; eventTypes: string[] }): Promise<SubscriptionRow> {
    const row = { id: sub.id, org_id: sub.orgId, url: sub.url, event_types: sub.eventTypes, created_at: new Date() };
    this.subscriptions.push(row);
    return row;
  }

  async listSubscriptions(orgId: string): Promise<SubscriptionRow[]> {
    return this.subscriptions.filter((row) => row.org_id === orgId);
  }

  async getSubscription(orgId: string, id: string): Promise<SubscriptionRow | undefined> {
    return this.subscriptions.find((row) => row.org_id === orgId && row.id === id);
  }

  async deleteSubscription(orgId: string, id: string): Promise<boolean> {
    const index = this.subscriptions.findIndex((row) => row.org_id === orgId && row.id === id);
    if (index >= 0) this.subscriptions.splice(index, 1);
    return index >= 0;
  }

  async listAttempts(orgId: string, eventId: string): Promise<AttemptRow[]> {
    return this.attempts.filter((row) => row.org_id === orgId && row.event_id === eventId).map(({ org_id: _org, ...row }) => row);
  }
}
