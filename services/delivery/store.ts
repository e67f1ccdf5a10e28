// The delivery service's tables: subscriptions, and one attempt per event and subscription.
import type { Sql } from "../shared/database.js";

export interface SubscriptionRow {
  id: string;
  org_id: string;
  url: string;
  event_types: string[];
  created_at: Date;
}

export type AttemptStatus = "succeeded" | "failed";

export interface AttemptRow {
  id: string;
  event_id: string;
  subscription_id: string;
  url: string;
  status: AttemptStatus;
  response_status: number;
  error: string;
  started_at: Date;
  duration_ms: number;
}

export interface AttemptOutcome {
  status: AttemptStatus;
  responseStatus: number;
  error: string;
  durationMs: number;
}

/** What claiming an (event, subscription) pair found: ours to POST, already recorded, or held by another worker. */
export type Claim = { kind: "claimed"; attemptId: string } | { kind: "done" } | { kind: "busy" };

export interface NewAttempt {
  id: string;
  orgId: string;
  eventId: string;
  subscriptionId: string;
  url: string;
  /** How long the claim holds before another worker may take it over. */
  leaseMs: number;
}

const subscriptionColumns = ["id", "org_id", "url", "event_types", "created_at"] as const;

export function createDeliveryStore(sql: Sql) {
  return {
    async createSubscription(sub: { id: string; orgId: string; url: string; eventTypes: string[] }): Promise<SubscriptionRow> {
      const [row] = await sql<SubscriptionRow[]>`
        insert into delivery.subscriptions (id, org_id, url, event_types)
        values (${sub.id}, ${sub.orgId}, ${sub.url}, ${sub.eventTypes})
        returning ${sql(subscriptionColumns)}`;
      return row!;
    },

    listSubscriptions(orgId: string): Promise<SubscriptionRow[]> {
      return sql<SubscriptionRow[]>`
        select ${sql(subscriptionColumns)} from delivery.subscriptions
        where org_id = ${orgId} and deleted_at is null
        order by created_at, id`;
    },

    async getSubscription(orgId: string, id: string): Promise<SubscriptionRow | undefined> {
      const [row] = await sql<SubscriptionRow[]>`
        select ${sql(subscriptionColumns)} from delivery.subscriptions
        where id = ${id} and org_id = ${orgId} and deleted_at is null`;
      return row;
    },

    /** False when the org has no live subscription of that id. */
    async deleteSubscription(orgId: string, id: string): Promise<boolean> {
      const rows = await sql`
        update delivery.subscriptions set deleted_at = now()
        where id = ${id} and org_id = ${orgId} and deleted_at is null
        returning id`;
      return rows.length > 0;
    },

    /**
     * Takes the right to POST the event to the subscription. A claim left by a worker that died
     * is taken over once its lease has run out; a recorded attempt is never repeated.
     */
    async claimAttempt(attempt: NewAttempt): Promise<Claim> {
      const [claimed] = await sql<{ id: string }[]>`
        insert into delivery.attempts (id, org_id, event_id, subscription_id, url, started_at, lease_until)
        values (${attempt.id}, ${attempt.orgId}, ${attempt.eventId}, ${attempt.subscriptionId}, ${attempt.url},
                now(), now() + make_interval(secs => ${attempt.leaseMs / 1000}))
        on conflict (event_id, subscription_id) do update
          set started_at = now(), lease_until = excluded.lease_until
          where attempts.status is null and attempts.lease_until < now()
        returning id`;
      if (claimed) return { kind: "claimed", attemptId: claimed.id };
      const [existing] = await sql<{ status: AttemptStatus | null }[]>`
        select status from delivery.attempts where event_id = ${attempt.eventId} and subscription_id = ${attempt.subscriptionId}`;
      return existing?.status ? { kind: "done" } : { kind: "busy" };
    },

    async recordOutcome(attemptId: string, outcome: AttemptOutcome): Promise<void> {
      await sql`
        update delivery.attempts
        set status = ${outcome.status}, response_status = ${outcome.responseStatus}, error = ${outcome.error},
            duration_ms = ${outcome.durationMs}, lease_until = null
        where id = ${attemptId} and status is null`;
    },

    /** The event's recorded attempts, oldest first; in-flight claims are not attempts yet. */
    listAttempts(orgId: string, eventId: string): Promise<AttemptRow[]> {
      return sql<AttemptRow[]>`
        select id, event_id, subscription_id, url, status, response_status, error, started_at, duration_ms
        from delivery.attempts
        where event_id = ${eventId} and org_id = ${orgId} and status is not null
        order by started_at, id`;
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;
