// The inbox's event store: written by the projection, read and acknowledged through the RPCs.
import type { Sql } from "../shared/database.js";

export interface EventRow {
  id: string;
  org_id: string;
  type: string;
  source: string;
  data: Record<string, unknown>;
  occurred_at: Date;
  received_at: Date;
  acked_at: Date | null;
  /** How its deliveries ended; null while one is pending, or when none was wanted. */
  delivery_status: DeliveryStatus | null;
}

export type DeliveryStatus = "delivered" | "failed";

export interface DeliveryOutcomeRow {
  event_id: string;
  org_id: string;
  status: DeliveryStatus;
  settled_at: Date;
}

// Every read of events shows how their deliveries ended.
const eventColumns = "e.*, s.status as delivery_status";

export type NewEventRow = Omit<EventRow, "acked_at" | "data" | "occurred_at" | "received_at" | "delivery_status"> & {
  /** JSON text, as the stream carries it: Postgres parses it once, into jsonb. */
  data: string;
  occurred_at: string;
  received_at: string;
};

export function createEventStore(sql: Sql) {
  return {
    /** Adds the events not stored yet and ignores the rest, in one statement whatever their number. */
    async addEvents(rows: NewEventRow[]): Promise<void> {
      await sql`
        insert into inbox.events (id, org_id, type, source, data, occurred_at, received_at)
        select id, org_id, type, source, data::jsonb, occurred_at, received_at
        from jsonb_to_recordset(${sql.json(rows as never)}) as e(
          id uuid, org_id uuid, type text, source text, data text, occurred_at timestamptz, received_at timestamptz)
        on conflict (id) do nothing`;
    },

    /** Records how events' deliveries ended; an outcome older than the one stored changes nothing. */
    async addDeliveryOutcomes(rows: DeliveryOutcomeRow[]): Promise<void> {
      await sql`
        insert into inbox.delivery_statuses (event_id, org_id, status, settled_at)
        select * from unnest(${rows.map((r) => r.event_id)}::uuid[], ${rows.map((r) => r.org_id)}::uuid[],
                             ${rows.map((r) => r.status)}::text[], ${rows.map((r) => r.settled_at.toISOString())}::timestamptz[])
        on conflict (event_id) do update set status = excluded.status, settled_at = excluded.settled_at
          where delivery_statuses.settled_at < excluded.settled_at`;
    },

    /** An org's pending events after the given id, oldest first. */
    pending(orgId: string, afterId: string | undefined, limit: number): Promise<EventRow[]> {
      return sql<EventRow[]>`
        select ${sql.unsafe(eventColumns)} from inbox.events e left join inbox.delivery_statuses s on s.event_id = e.id
        where e.org_id = ${orgId} and e.acked_at is null ${afterId ? sql`and e.id > ${afterId}` : sql``}
        order by e.id
        limit ${limit}`;
    },

    /**
     * The same page as pending(), rendered as the JSON array of events the API answers, by Postgres: for a page
     * of large events, building rows, messages and then JSON in Node cost several times the query.
     */
    async pendingJson(
      orgId: string,
      afterId: string | undefined,
      limit: number,
    ): Promise<{ events: string; lastId: string | null; more: boolean }> {
      const [page] = await sql<{ events: string; last_id: string | null; more: boolean }[]>`
        with page as (
          select rows.*, s.status as delivery_status, row_number() over (order by id) as n
          from (
            select id, type, source, data, occurred_at, received_at from inbox.events
            where org_id = ${orgId} and acked_at is null ${afterId ? sql`and id > ${afterId}` : sql``}
            order by id
            limit ${limit + 1}
          ) as rows
          left join inbox.delivery_statuses s on s.event_id = rows.id
        )
        select
          coalesce(json_agg(jsonb_build_object(
            'id', id, 'type', type, 'source', source, 'data', data,
            'occurred_at', inbox.rfc3339(occurred_at), 'received_at', inbox.rfc3339(received_at))
            || case when delivery_status is null then '{}'::jsonb
                    else jsonb_build_object('delivery_status', 'EVENT_DELIVERY_STATUS_' || upper(delivery_status)) end
            order by id)
            filter (where n <= ${limit}), '[]')::text as events,
          (array_agg(id::text order by id desc) filter (where n <= ${limit}))[1] as last_id,
          count(*) > ${limit} as more
        from page`;
      return { events: page!.events, lastId: page!.last_id, more: page!.more };
    },

    async find(orgId: string, id: string): Promise<EventRow | undefined> {
      const [row] = await sql<EventRow[]>`
        select ${sql.unsafe(eventColumns)} from inbox.events e left join inbox.delivery_statuses s on s.event_id = e.id
        where e.id = ${id} and e.org_id = ${orgId}`;
      return row;
    },

    /** Acknowledges the org's events among ids, in one statement; those acknowledged before keep their first acked_at. */
    async ackMany(orgId: string, ids: string[]): Promise<AckCounts> {
      const [counts] = await sql<AckCounts[]>`
        with wanted as (select distinct unnest(${ids}::uuid[]) as id),
        found as (
          select e.id, e.acked_at from inbox.events e join wanted w on w.id = e.id
          where e.org_id = ${orgId}),
        acked as (
          update inbox.events e set acked_at = now()
          from found f where e.id = f.id and f.acked_at is null
          returning e.id)
        select (select count(*)::int from acked) as acked,
               (select count(*)::int from found where acked_at is not null) as already_acked,
               array(select id::text from wanted where id not in (select id from found) order by id) as unknown_ids`;
      return counts!;
    },

    /** Acknowledges an event; an event acknowledged before keeps its first acked_at. */
    async ack(orgId: string, id: string): Promise<EventRow | undefined> {
      const [row] = await sql<EventRow[]>`
        with acked as (
          update inbox.events set acked_at = coalesce(acked_at, now())
          where id = ${id} and org_id = ${orgId}
          returning *)
        select ${sql.unsafe(eventColumns)} from acked e left join inbox.delivery_statuses s on s.event_id = e.id`;
      return row;
    },
  };
}

export interface AckCounts {
  acked: number;
  already_acked: number;
  unknown_ids: string[];
}

export type EventStore = ReturnType<typeof createEventStore>;
