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
}

export type NewEventRow = Omit<EventRow, "acked_at" | "data" | "occurred_at" | "received_at"> & {
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

    /** An org's pending events after the given id, oldest first. */
    pending(orgId: string, afterId: string | undefined, limit: number): Promise<EventRow[]> {
      return sql<EventRow[]>`
        select * from inbox.events
        where org_id = ${orgId} and acked_at is null ${afterId ? sql`and id > ${afterId}` : sql``}
        order by id
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
          select id, type, source, data, occurred_at, received_at, row_number() over (order by id) as n
          from (
            select id, type, source, data, occurred_at, received_at from inbox.events
            where org_id = ${orgId} and acked_at is null ${afterId ? sql`and id > ${afterId}` : sql``}
            order by id
            limit ${limit + 1}
          ) as rows
        )
        select
          coalesce(json_agg(json_build_object(
            'id', id, 'type', type, 'source', source, 'data', data,
            'occurred_at', inbox.rfc3339(occurred_at), 'received_at', inbox.rfc3339(received_at)) order by id)
            filter (where n <= ${limit}), '[]')::text as events,
          (array_agg(id::text order by id desc) filter (where n <= ${limit}))[1] as last_id,
          count(*) > ${limit} as more
        from page`;
      return { events: page!.events, lastId: page!.last_id, more: page!.more };
    },

    async find(orgId: string, id: string): Promise<EventRow | undefined> {
      const [row] = await sql<EventRow[]>`select * from inbox.events where id = ${id} and org_id = ${orgId}`;
      return row;
    },

    /** Acknowledges an event; an event acknowledged before keeps its first acked_at. */
    async ack(orgId: string, id: string): Promise<EventRow | undefined> {
      const [row] = await sql<EventRow[]>`
        update inbox.events set acked_at = coalesce(acked_at, now())
        where id = ${id} and org_id = ${orgId}
        returning *`;
      return row;
    },
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
