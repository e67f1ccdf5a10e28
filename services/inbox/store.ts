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
