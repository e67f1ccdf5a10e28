// The delivery service's deliveries in Postgres: one per event and subscription, its attempts, and the bodies they send.
import type { BeforeCommit, Sql, Transaction } from "../shared/database.js";
import { type OutboxMessage, writeOutbox } from "../shared/outbox.js";
import type {
  AttemptRecord,
  AttemptRow,
  DeliveryRow,
  DeliveryState,
  DeliveryWithAttempts,
  EventOutcomeRow,
  FailureCount,
  NewDelivery,
  RecordedAttempts,
  SubscriptionOutcomes,
  TakenDelivery,
  WebhookMessage,
} from "./deliveries.js";
import type { SecretBox } from "./subscriptions/secret-box.js";
import { type SigningSecrets, signingSecrets } from "./webhook/signing.js";

// A row as json_agg writes it: timestamps are text.
type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

const deliveryColumns = `d.id, d.org_id, d.event_id, d.event_type, d.subscription_id, d.state, d.attempt_count,
  nullif(d.next_attempt_at, 'infinity') as next_attempt_at, d.created_at`;

export function createDeliveryStore(sql: Sql, box: SecretBox) {
  async function withAttempts(deliveries: DeliveryRow[]): Promise<DeliveryWithAttempts[]> {
    if (deliveries.length === 0) return [];
    const attempts = await sql<AttemptRow[]>`
      select id, delivery_id, event_id, subscription_id, url, number, status, response_status, error, response_body,
             started_at, duration_ms, next_attempt_at
      from delivery.attempts where delivery_id = any(${deliveries.map((d) => d.id)}::uuid[])
      order by number`;
    return deliveries.map((d) => ({ ...d, attempts: attempts.filter((a) => a.delivery_id === d.id) }));
  }

  return {
    /**
     * Stores the bodies and the deliveries of a stream message in one statement. A redelivered message adds nothing:
     * only the deliveries created now come back, and whoever created the others sees them through.
     */
    addDeliveries(messages: WebhookMessage[], deliveries: NewDelivery[]): Promise<Set<string>> {
      return sql.begin(async (tx) => {
        const eventIds = deliveries.map((d) => d.eventId);
        const [, created] = await Promise.all([lockEvents(tx, eventIds), insertDeliveries(tx, messages, deliveries)]);
        return created;
      });
    },

    /**
     * Moves the ends of held deliveries' leases to leaseMs from now, in one statement. Only a lease still running
     * on a delivery at the attempt count it was held at is renewed: one recorded meanwhile (its retry's time set,
     * or settled), lapsed (perhaps taken by another worker) or parked (its subscription paused) is left alone.
     */
    async renewLeases(held: Map<string, number>, leaseMs: number): Promise<void> {
      await sql`
        update delivery.deliveries d set next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
        from unnest(${[...held.keys()]}::uuid[], ${[...held.values()]}::int[]) as h(id, attempt_count)
        where d.id = h.id and d.attempt_count = h.attempt_count and d.state = 'pending'
          and d.next_attempt_at > now() and d.next_attempt_at <> 'infinity'`;
    },

    /**
     * Takes due deliveries of active subscriptions, the longest due first, at most perSubscription of each and none
     * of the busy ones, and holds them for leaseMs: a worker that dies lets them fall due again.
     */
    async takeDue(limit: number, perSubscription: number, busy: string[], leaseMs: number): Promise<TakenDelivery[]> {
      const rows = await sql<(Omit<TakenDelivery, "secrets" | "stored"> & SigningSecrets)[]>`
        with candidates as (
          select d.id, d.subscription_id, d.next_attempt_at from delivery.deliveries d
          join delivery.subscriptions s on s.id = d.subscription_id and s.state = 'active' and s.deleted_at is null
          where d.state = 'pending' and d.next_attempt_at <= now() and d.subscription_id <> all(${busy}::uuid[])
            -- A deleted event's delivery is never sent, even one made pending again after.
            and not exists (select from delivery.cancelled_events c where c.event_id = d.event_id)
          order by d.next_attempt_at limit ${limit * 4}),
        ranked as (
          select id, next_attempt_at, row_number() over (partition by subscription_id order by next_attempt_at, id) as n
          from candidates),
        -- Only what is sent now is leased: a delivery leased and left behind would wait out its lease.
        due as (select id from ranked where n <= ${perSubscription} order by next_attempt_at, id limit ${limit})
        update delivery.deliveries d set next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
        from due, delivery.messages m, delivery.subscriptions s
        where d.id = due.id and d.state = 'pending' and d.next_attempt_at <= now()
          and m.event_id = d.event_id and s.id = d.subscription_id
        returning d.id, d.org_id as "orgId", d.event_id as "eventId", d.event_type as "eventType", d.subscription_id as "subscriptionId",
                  d.attempt_count as "attemptCount", d.created_at as "createdAt", s.url, m.body, m.request_id as "requestId",
                  s.secret, s.previous_secret, s.previous_secret_until`;
      return rows.map(({ secret, previous_secret, previous_secret_until, ...rest }) => ({
        ...rest,
        stored: true,
        secrets: signingSecrets({
          secret: box.open(rest.subscriptionId, secret),
          previous_secret: previous_secret && box.open(rest.subscriptionId, previous_secret),
          previous_secret_until,
        }),
      }));
    },

    /**
     * Records attempts in one statement, as each round trip to Postgres costs more than the work, and settles their
     * deliveries as their verdicts say. A stored delivery is updated, unless it moved on meanwhile (taken over by
     * another worker: the attempt is then not recorded). A first attempt sent straight from the stream writes its
     * delivery now, with the body that a retry, a manual retry or a replay sends again; one that exists already (the
     * same event read twice) records nothing. Counts failures in a row against the subscriptions, and tells how the events whose
     * deliveries have all ended came out.
     */
    recordAttempts(
      records: AttemptRecord[],
      bySubscription: SubscriptionOutcomes[],
      messagesOf: (recorded: RecordedAttempts) => OutboxMessage[],
    ): Promise<RecordedAttempts> {
      return sql.begin(async (tx) => {
        const firstAttempts = records.filter((r) => !r.delivery.stored).map((r) => r.delivery.eventId);
        const [, recorded] = await Promise.all([lockEvents(tx, firstAttempts), recordIn(tx, records, bySubscription)]);
        await writeOutbox(tx, "delivery", messagesOf(recorded));
        return recorded;
      });
    },

    /**
     * Makes a settled delivery pending and due at once (parked if its subscription is not active); a pending one stays
     * as it is, and only a delivery made pending again is the caller's change to record.
     */
    async retryDelivery(orgId: string, id: string, beforeCommit: BeforeCommit<DeliveryOf>): Promise<DeliveryWithAttempts | undefined> {
      await sql.begin(async (tx) => {
        const [retried] = await tx<DeliveryOf[]>`
          update delivery.deliveries d set state = 'pending', updated_at = now(),
            next_attempt_at = case when s.state = 'active' and s.deleted_at is null then now() else 'infinity' end
          from delivery.subscriptions s
          where d.id = ${id} and d.org_id = ${orgId} and s.id = d.subscription_id and d.state in ('succeeded', 'failed')
          returning d.event_id, d.subscription_id`;
        if (retried) await beforeCommit(retried);
      });
      const rows = await sql<DeliveryRow[]>`
        select ${sql.unsafe(deliveryColumns)} from delivery.deliveries d where d.id = ${id} and d.org_id = ${orgId}`;
      return (await withAttempts(rows))[0];
    },

    /** Makes the subscription's failed deliveries of events since then pending and due at once; returns how many. */
    replayFailed(orgId: string, subscriptionId: string, since: Date, beforeCommit: BeforeCommit<number>): Promise<number> {
      return sql.begin(async (tx) => {
        const rows = await tx`
          update delivery.deliveries d set state = 'pending', updated_at = now(),
            next_attempt_at = case when s.state = 'active' and s.deleted_at is null then now() else 'infinity' end
          from delivery.subscriptions s
          where d.subscription_id = ${subscriptionId} and d.org_id = ${orgId} and s.id = d.subscription_id
            and d.state = 'failed' and d.created_at >= ${since}
          returning d.id`;
        await beforeCommit(rows.length);
        return rows.length;
      });
    },

    /**
     * Cancels the event's pending deliveries, keeps any from being created later, and drops the body they would
     * have sent; returns how many were cancelled. Cancelling twice is harmless.
     */
    cancelEvent(orgId: string, eventId: string): Promise<number> {
      return sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(hashtext(${eventLock(eventId)}))`;
        const [row] = await tx<{ cancelled: number }[]>`
          with tombstone as (
            insert into delivery.cancelled_events (event_id, org_id) values (${eventId}, ${orgId}) on conflict do nothing),
          cancelled as (
            update delivery.deliveries set state = 'cancelled', next_attempt_at = null, updated_at = now()
            where event_id = ${eventId} and org_id = ${orgId} and state = 'pending'
            returning id),
          dropped as (delete from delivery.messages where event_id = ${eventId} and org_id = ${orgId})
          select count(*)::int as cancelled from cancelled`;
        return row!.cancelled;
      });
    },

    /**
     * Deletes the org's deliveries of these events, whatever their state, with their attempts and the bodies they
     * sent: the inbox no longer keeps the events. Returns how many deliveries.
     */
    async forgetEvents(orgId: string, eventIds: string[]): Promise<number> {
      const [row] = await sql<{ forgotten: number }[]>`
        with attempts as (delete from delivery.attempts where org_id = ${orgId} and event_id = any(${eventIds}::uuid[])),
        bodies as (delete from delivery.messages where org_id = ${orgId} and event_id = any(${eventIds}::uuid[])),
        forgotten as (delete from delivery.deliveries where org_id = ${orgId} and event_id = any(${eventIds}::uuid[]) returning id)
        select count(*)::int as forgotten from forgotten`;
      return row!.forgotten;
    },

    /**
     * Gives up the oldest waiting deliveries of every stopped (paused or disabled) subscription that has more than
     * limit waiting, marking them failed, with the messages that tell of it written in the same transaction.
     * Returns how many.
     */
    trimParked(limit: number, messagesOf: (trimmed: TrimmedBacklog) => OutboxMessage[]): Promise<number> {
      return sql.begin(async (tx) => {
        const trimmed = await tx<DeliveryRow[]>`
          with over as (
            select d.subscription_id, count(*) - ${limit} as excess
            from delivery.deliveries d
            join delivery.subscriptions s on s.id = d.subscription_id and s.state <> 'active' and s.deleted_at is null
            where d.state = 'pending'
            group by d.subscription_id having count(*) > ${limit}),
          oldest as (
            select x.id from over o cross join lateral (
              select d.id from delivery.deliveries d where d.subscription_id = o.subscription_id and d.state = 'pending'
              order by d.created_at, d.id limit o.excess) x)
          update delivery.deliveries d set state = 'failed', next_attempt_at = null, updated_at = now()
          from oldest where d.id = oldest.id
          returning d.id, d.org_id, d.event_id, d.event_type, d.subscription_id, d.state, d.attempt_count,
                    d.next_attempt_at, d.created_at`;
        if (trimmed.length === 0) return 0;
        const eventIds = [...new Set(trimmed.map((row) => row.event_id))];
        const subscriptionIds = [...new Set(trimmed.map((row) => row.subscription_id))];
        const [outcomes, subscriptions] = await Promise.all([
          tx<EventOutcomeRow[]>`
            select event_id, min(org_id::text) as org_id,
                   case when bool_or(state = 'failed') then 'failed' else 'delivered' end as status, max(updated_at) as settled_at
            from delivery.deliveries where event_id = any(${eventIds}::uuid[])
            group by event_id having not bool_or(state = 'pending')`,
          tx<{ id: string; org_id: string; url: string }[]>`
            select id, org_id, url from delivery.subscriptions where id = any(${subscriptionIds}::uuid[])`,
        ]);
        await writeOutbox(tx, "delivery", messagesOf({ trimmed, outcomes, subscriptions, limit }));
        return trimmed.length;
      });
    },

    /** Deletes the tombstones of events deleted longer ago than days; returns how many. */
    async pruneCancelled(days: number): Promise<number> {
      const rows =
        await sql`delete from delivery.cancelled_events where cancelled_at < now() - make_interval(days => ${days}) returning event_id`;
      return rows.length;
    },

    /** The event's deliveries with their attempts, oldest first; another org's event has none. */
    async eventDeliveries(orgId: string, eventId: string): Promise<DeliveryWithAttempts[]> {
      return withAttempts(
        await sql<DeliveryRow[]>`
          select ${sql.unsafe(deliveryColumns)} from delivery.deliveries d
          where d.event_id = ${eventId} and d.org_id = ${orgId}
          order by d.created_at, d.id`,
      );
    },

    /** A page of the subscription's deliveries, newest first, those older than the one named by before when given. */
    async subscriptionDeliveries(
      orgId: string,
      subscriptionId: string,
      page: { limit: number; before: string | undefined; state: DeliveryState | undefined },
    ): Promise<DeliveryWithAttempts[]> {
      return withAttempts(
        await sql<DeliveryRow[]>`
          select ${sql.unsafe(deliveryColumns)} from delivery.deliveries d
          where d.subscription_id = ${subscriptionId} and d.org_id = ${orgId}
            ${page.before ? sql`and d.id < ${page.before}` : sql``}
            ${page.state ? sql`and d.state = ${page.state}` : sql``}
          order by d.id desc limit ${page.limit}`,
      );
    },

    /** The event's attempts, oldest first. */
    listAttempts(orgId: string, eventId: string): Promise<AttemptRow[]> {
      return sql<AttemptRow[]>`
        select id, delivery_id, event_id, subscription_id, url, number, status, response_status, error, response_body,
               started_at, duration_ms, next_attempt_at
        from delivery.attempts
        where event_id = ${eventId} and org_id = ${orgId}
        order by started_at, id`;
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;

/** What trimming stopped subscriptions' backlogs gave up: the deliveries, the events they settled, the subscriptions. */
export interface TrimmedBacklog {
  trimmed: DeliveryRow[];
  outcomes: EventOutcomeRow[];
  subscriptions: { id: string; org_id: string; url: string }[];
  limit: number;
}

/** Which event and subscription a delivery is of. */
export type DeliveryOf = Pick<DeliveryRow, "event_id" | "subscription_id">;

/** The statement that stores deliveries with their bodies (see addDeliveries); answers the ids of those created. */
async function insertDeliveries(tx: Transaction, messages: WebhookMessage[], deliveries: NewDelivery[]): Promise<Set<string>> {
  const created = await tx<{ id: string }[]>`
    with stored as (
      insert into delivery.messages (event_id, org_id, body, request_id)
      select * from unnest(${messages.map((m) => m.eventId)}::uuid[], ${messages.map((m) => m.orgId)}::uuid[],
                           ${messages.map((m) => m.body)}::text[], ${messages.map((m) => m.requestId)}::text[])
        as m(event_id, org_id, body, request_id)
      where not exists (select from delivery.cancelled_events c where c.event_id = m.event_id and c.org_id = m.org_id)
      on conflict (event_id) do nothing)
    insert into delivery.deliveries (id, org_id, event_id, event_type, subscription_id, next_attempt_at)
    select id, org_id, event_id, event_type, subscription_id,
           case when due_in_ms is null then 'infinity' else now() + due_in_ms * interval '1 millisecond' end
    from unnest(${deliveries.map((d) => d.id)}::uuid[], ${deliveries.map((d) => d.orgId)}::uuid[],
                ${deliveries.map((d) => d.eventId)}::uuid[], ${deliveries.map((d) => d.eventType)}::text[],
                ${deliveries.map((d) => d.subscriptionId)}::uuid[], ${deliveries.map((d) => d.dueInMs)}::float8[])
      as d(id, org_id, event_id, event_type, subscription_id, due_in_ms)
    where not exists (select from delivery.cancelled_events c where c.event_id = d.event_id and c.org_id = d.org_id)
    on conflict (event_id, subscription_id) do nothing
    returning id`;
  return new Set(created.map((row) => row.id));
}

/**
 * A delivery is written pending or cancelled as its event's tombstone reads when the statement begins, and deleting
 * the event cancels the pending deliveries it can see: one written meanwhile would escape both. So writing a delivery
 * shares a lock on its event that deleting the event takes alone, and whichever comes second sees what the first
 * wrote. Sent with the statement, not awaited first: Postgres takes the locks before the statement begins.
 */
function lockEvents(tx: Transaction, eventIds: string[]): Promise<unknown> {
  const locks = [...new Set(eventIds.map(eventLock))].sort();
  if (locks.length === 0) return Promise.resolve();
  return tx`select pg_advisory_xact_lock_shared(hashtext(l)) from unnest(${locks}::text[]) as l`.execute();
}

/** The name of the advisory lock between deleting an event and writing its deliveries. */
const eventLock = (eventId: string) => `delivery.event:${eventId}`;

/** The statement that records attempts (see recordAttempts), run in the transaction that writes their messages. */
async function recordIn(tx: Transaction, records: AttemptRecord[], bySubscription: SubscriptionOutcomes[]): Promise<RecordedAttempts> {
  const column = <T>(pick: (r: AttemptRecord) => T) => records.map(pick);
  const subscriptionColumn = <T>(pick: (o: SubscriptionOutcomes) => T) => bySubscription.map(pick);
  const [row] = await tx<{ settled: Json<DeliveryRow>[]; outcomes: Json<EventOutcomeRow>[]; counts: FailureCount[] }[]>`
      with o as (
        select * from unnest(
          ${column((r) => r.delivery.id)}::uuid[], ${column((r) => String(r.delivery.stored))}::text[]::bool[],
          ${column((r) => r.delivery.orgId)}::uuid[], ${column((r) => r.delivery.eventId)}::uuid[],
          ${column((r) => r.delivery.eventType)}::text[], ${column((r) => r.delivery.subscriptionId)}::uuid[],
          ${column((r) => r.delivery.createdAt.toISOString())}::timestamptz[],
          ${column((r) => (r.delivery.stored ? null : r.delivery.body))}::text[], ${column((r) => r.delivery.requestId)}::text[],
          ${column((r) => r.attemptId)}::uuid[], ${column((r) => r.delivery.attemptCount + 1)}::int[],
          ${column((r) => r.verdict.state)}::text[],
          ${column((r) => (r.verdict.state === "pending" ? r.verdict.retryInMs : null))}::float8[],
          ${column((r) => r.outcome.status)}::text[], ${column((r) => r.outcome.responseStatus)}::int[],
          ${column((r) => r.outcome.error)}::text[], ${column((r) => r.outcome.responseBody)}::text[],
          ${column((r) => r.startedAt.toISOString())}::timestamptz[], ${column((r) => r.outcome.durationMs)}::int[],
          ${column((r) => r.delivery.url)}::text[])
        as o(delivery_id, stored, org_id, event_id, event_type, subscription_id, created_at, body, request_id,
             attempt_id, number, state, retry_in_ms, status, response_status, error, response_body, started_at,
             duration_ms, url)),
      updated as (
        update delivery.deliveries d set
          state = o.state,
          attempt_count = o.number,
          next_attempt_at = case when o.state <> 'pending' then null
                                 when s.state = 'active' and s.deleted_at is null then now() + o.retry_in_ms * interval '1 millisecond'
                                 else 'infinity' end,
          updated_at = now()
        from o, delivery.subscriptions s
        where o.stored and d.id = o.delivery_id and s.id = d.subscription_id and d.state = 'pending'
          and d.attempt_count = o.number - 1
        returning d.*),
      inserted as (
        insert into delivery.deliveries (id, org_id, event_id, event_type, subscription_id, state, attempt_count,
                                         next_attempt_at, created_at, updated_at)
        select o.delivery_id, o.org_id, o.event_id, o.event_type, o.subscription_id, f.state, 1,
               case when f.state <> 'pending' then null
                    when s.state = 'active' and s.deleted_at is null then now() + o.retry_in_ms * interval '1 millisecond'
                    else 'infinity' end,
               o.created_at, now()
        from o join delivery.subscriptions s on s.id = o.subscription_id
        -- An event deleted while its first attempt was in flight is not tried again.
        cross join lateral (
          select case when o.state = 'pending'
                       and exists (select from delivery.cancelled_events c where c.event_id = o.event_id)
                      then 'cancelled' else o.state end as state) f
        where not o.stored
        on conflict (event_id, subscription_id) do nothing
        returning *),
      bodies as (
        insert into delivery.messages (event_id, org_id, body, request_id)
        select distinct on (o.event_id) o.event_id, o.org_id, o.body, o.request_id
        from o join inserted i on i.id = o.delivery_id
        -- A deleted event's body is gone for good.
        where i.state <> 'cancelled'
        on conflict (event_id) do nothing),
      settled as (select * from updated union all select * from inserted),
      recorded as (
        insert into delivery.attempts (id, delivery_id, org_id, event_id, subscription_id, url, number, status,
                                       response_status, error, response_body, started_at, duration_ms, next_attempt_at)
        select o.attempt_id, d.id, d.org_id, d.event_id, d.subscription_id, o.url, o.number, o.status,
               o.response_status, o.error, o.response_body, o.started_at, o.duration_ms, nullif(d.next_attempt_at, 'infinity')
        from settled d join o on o.delivery_id = d.id),
      counted as (
        update delivery.subscriptions s set
          consecutive_failures = case when c.succeeded then c.failures else s.consecutive_failures + c.failures end
        from unnest(${subscriptionColumn((o) => o.id)}::uuid[], ${subscriptionColumn((o) => o.failuresSinceSuccess)}::int[],
                    ${subscriptionColumn((o) => String(o.succeeded))}::text[]::bool[]) as c(id, failures, succeeded)
        where s.id = c.id and (c.failures > 0 or s.consecutive_failures > 0)
        returning s.id, s.consecutive_failures),
      ended as (select distinct event_id from settled where state not in ('pending', 'cancelled')),
      outcomes as (
        select e.event_id, min(e.org_id::text) as org_id,
               case when bool_or(e.state = 'failed') then 'failed' else 'delivered' end as status,
               max(e.updated_at) as settled_at
        from (
          select event_id, org_id, state, updated_at from settled
          union all
          select d.event_id, d.org_id, d.state, d.updated_at from delivery.deliveries d
          where d.event_id in (select event_id from ended) and d.id not in (select id from settled)
        ) e
        where e.event_id in (select event_id from ended)
        group by e.event_id
        having not bool_or(e.state = 'pending'))
      select
        coalesce((select json_agg(json_build_object(
          'id', id, 'org_id', org_id, 'event_id', event_id, 'event_type', event_type, 'subscription_id', subscription_id,
          'state', state, 'attempt_count', attempt_count, 'next_attempt_at', nullif(next_attempt_at, 'infinity'),
          'created_at', created_at)) from settled), '[]') as settled,
        coalesce((select json_agg(outcomes) from outcomes), '[]') as outcomes,
        coalesce((select json_agg(counted) from counted), '[]') as counts`;
  return {
    settled: row!.settled.map((d) => ({ ...d, next_attempt_at: dateOrNull(d.next_attempt_at), created_at: new Date(d.created_at) })),
    outcomes: row!.outcomes.map((e) => ({ ...e, settled_at: new Date(e.settled_at) })),
    failuresInARow: row!.counts,
  };
}
