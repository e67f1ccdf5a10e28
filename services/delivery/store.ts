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
}

const pairKey = (eventId: string, subscriptionId: string) => `${eventId} ${subscriptionId}`;

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
     * Takes the right to POST each event to its subscription, in one statement for them all; the claims come
     * back in the order asked. A claim left by a worker that died is taken over once its lease has run out;
     * a recorded attempt is never repeated. No (event, subscription) pair may be asked twice in one call.
     */
    async claimAttempts(attempts: NewAttempt[], leaseMs: number): Promise<Claim[]> {
      const claimed = await sql<{ id: string; event_id: string; subscription_id: string }[]>`
        insert into delivery.attempts (id, org_id, event_id, subscription_id, url, started_at, lease_until)
        select id, org_id, event_id, subscription_id, url, now(), now() + make_interval(secs => ${leaseMs / 1000})
        from unnest(${attempts.map((a) => a.id)}::uuid[], ${attempts.map((a) => a.orgId)}::uuid[], ${attempts.map((a) => a.eventId)}::uuid[],
                    ${attempts.map((a) => a.subscriptionId)}::uuid[], ${attempts.map((a) => a.url)}::text[])
          as a(id, org_id, event_id, subscription_id, url)
        on conflict (event_id, subscription_id) do update
          set started_at = now(), lease_until = excluded.lease_until
          where attempts.status is null and attempts.lease_until < now()
        returning id, event_id, subscription_id`;
      const claimedIds = new Map(claimed.map((row) => [pairKey(row.event_id, row.subscription_id), row.id]));
      const others = attempts.filter((a) => !claimedIds.has(pairKey(a.eventId, a.subscriptionId)));
      const recorded = new Set<string>();
      if (others.length > 0) {
        const rows = await sql<{ event_id: string; subscription_id: string }[]>`
          select event_id, subscription_id from delivery.attempts
          where status is not null and (event_id, subscription_id) in (
            select * from unnest(${others.map((a) => a.eventId)}::uuid[], ${others.map((a) => a.subscriptionId)}::uuid[]))`;
        for (const row of rows) recorded.add(pairKey(row.event_id, row.subscription_id));
      }
      return attempts.map((a): Claim => {
        const key = pairKey(a.eventId, a.subscriptionId);
        const attemptId = claimedIds.get(key);
        if (attemptId) return { kind: "claimed", attemptId };
        return recorded.has(key) ? { kind: "done" } : { kind: "busy" };
      });
    },

    /** Completes claimed attempts with how their POSTs went, in one statement. */
    async recordOutcomes(records: { attemptId: string; outcome: AttemptOutcome }[]): Promise<void> {
      await sql`
        update delivery.attempts as a
        set status = o.status, response_status = o.response_status, error = o.error, duration_ms = o.duration_ms, lease_until = null
        from unnest(${records.map((r) => r.attemptId)}::uuid[], ${records.map((r) => r.outcome.status)}::text[],
                    ${records.map((r) => r.outcome.responseStatus)}::int[], ${records.map((r) => r.outcome.error)}::text[],
                    ${records.map((r) => r.outcome.durationMs)}::int[])
          as o(id, status, response_status, error, duration_ms)
        where a.id = o.id and a.status is null`;
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
