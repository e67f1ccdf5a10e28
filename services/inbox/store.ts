// The inbox's event store: written by the projection, read and acknowledged through the RPCs.
import postgres from "postgres";
import type { BeforeCommit, Sql } from "../shared/database.js";
import { writeOutbox } from "../shared/outbox.js";
import { compactJsonArray } from "./compact-json.js";
import { expiredEventsMessage } from "./expired-events.js";
import type { InboxQuery } from "./inbox-query.js";

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

/** An event with the time its deliveries ended, when they have. */
export type EventDetail = EventRow & { settled_at: Date | null };

export interface DeliveryOutcomeRow {
  event_id: string;
  org_id: string;
  status: DeliveryStatus;
  settled_at: Date;
}

export type NewEventRow = Omit<EventRow, "acked_at" | "data" | "occurred_at" | "received_at" | "delivery_status"> & {
  /** JSON text, as the stream carries it: Postgres parses it once, into jsonb. */
  data: string;
  occurred_at: string;
  received_at: string;
};

// How many times a write is tried when a delete of one of its events commits while it stores it again.
const maxAttempts = 5;

/** inbox.refuse_deleted's refusal (008): a serialization failure, which a statement in READ COMMITTED never raises itself. */
function isRefusedAsDeleted(err: unknown): boolean {
  return err instanceof postgres.PostgresError && err.code === "40001";
}

export function createEventStore(sql: Sql) {
  return {
    /**
     * Adds the events not stored yet and ignores the rest, in one statement whatever their number, each with the
     * delivery status already recorded for it. The lock on positions is taken before any is drawn, and held until
     * the statement commits. A deleted event is never stored again, even by a replay that began before the delete
     * committed: inbox.refuse_deleted (008) refuses the statement, which is tried again.
     */
    async addEvents(rows: NewEventRow[]): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        try {
          await sql`
            with writer as (select inbox.lock_positions()),
            stored as (
              insert into inbox.events (id, org_id, type, source, data, occurred_at, received_at)
              select e.id, e.org_id, e.type, e.source, e.data::jsonb, e.occurred_at, e.received_at
              from writer, jsonb_to_recordset(${sql.json(rows as never)}) as e(
                id uuid, org_id uuid, type text, source text, data text, occurred_at timestamptz, received_at timestamptz)
              where not exists (select from inbox.deleted_events d where d.event_id = e.id)
              order by e.id
              on conflict (id) do nothing
              returning id, position),
            -- A status that arrived before its event learns the event's position, for the status filter.
            placed as (
              update inbox.delivery_statuses s set position = stored.position
              from stored where s.event_id = stored.id and s.position is null)
            select inbox.refuse_deleted(array(select id from stored))`;
          return;
        } catch (err) {
          // A refusal means a delete of one of the events committed during the attempt; the next attempt sees its
          // tombstone. Five in a row would take five such deletes, each during its own attempt.
          if (!(isRefusedAsDeleted(err) && attempt < maxAttempts)) throw err;
        }
      }
    },

    /**
     * Records how events' deliveries ended, with each event's position when it is stored; an outcome older than the
     * one stored changes nothing but a missing position. Answers how many of the events the inbox has neither stored
     * nor deleted: one being stored at this moment may miss its position, and recording the outcomes again once it
     * is stored mends that. An outcome recorded while its event is being deleted can escape the delete, whose snapshot
     * does not hold it: such a status is never shown, as every read starts from the events, and the purge removes it.
     */
    async addDeliveryOutcomes(rows: DeliveryOutcomeRow[]): Promise<{ missing: number }> {
      const [row] = await sql<{ missing: number }[]>`
        with recorded as (
          insert into inbox.delivery_statuses as s (event_id, org_id, status, settled_at, position)
          select o.event_id, o.org_id, o.status, o.settled_at, e.position
          from unnest(${rows.map((r) => r.event_id)}::uuid[], ${rows.map((r) => r.org_id)}::uuid[],
                      ${rows.map((r) => r.status)}::text[], ${rows.map((r) => r.settled_at.toISOString())}::timestamptz[])
            as o(event_id, org_id, status, settled_at)
          left join inbox.events e on e.id = o.event_id
          where not exists (select from inbox.deleted_events d where d.event_id = o.event_id)
          on conflict (event_id) do update set
            status = case when s.settled_at < excluded.settled_at then excluded.status else s.status end,
            settled_at = greatest(s.settled_at, excluded.settled_at),
            position = coalesce(s.position, excluded.position)
          where s.settled_at < excluded.settled_at or (s.position is null and excluded.position is not null)
          returning position)
        select count(*)::int as missing from recorded where position is null`;
      return row!;
    },

    /**
     * A page of the org's events as the JSON array the API answers, each event's text written by Postgres: for a
     * page of large events, building rows, messages and then JSON in Node cost several times the query. One event
     * more than the page is read, to tell whether more follow. With a lease, the events are leased.
     */
    async list(orgId: string, query: InboxQuery): Promise<InboxPage> {
      const rows = await pageRows(sql, orgId, query);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        events: compactJsonArray(page.map(([json]) => json!)),
        last: last?.[1]?.toString(),
        more: rows.length > query.limit,
      };
    },

    /** A page of the org's events one by one, each its JSON text and position: a stream sends them so. */
    async listEach(orgId: string, query: InboxQuery): Promise<EventsRead> {
      const rows = await pageRows(sql, orgId, query);
      const events = rows.slice(0, query.limit).map(([json, position]) => ({ json: json!.toString(), position: position!.toString() }));
      return { events, more: rows.length > query.limit };
    },

    /**
     * Up to limit of the org's event types, after the one named, in byte order. A skip scan of the type index, one
     * step a type, so that a type with millions of events costs what a type with one does.
     */
    async eventTypes(orgId: string, after: string | undefined, limit: number): Promise<string[]> {
      const rows = await sql<{ type: string }[]>`
        with recursive types as (
          (select type from inbox.events where org_id = ${orgId} and type ~>~ ${after ?? ""} order by type using ~<~ limit 1)
          union all
          select (select e.type from inbox.events e where e.org_id = ${orgId} and e.type ~>~ t.type order by e.type using ~<~ limit 1)
          from types t where t.type is not null)
        select type from types where type is not null limit ${limit}`;
      return rows.map((row) => row.type);
    },

    /**
     * The position of the org's latest stored event, "0" when it has none. Only committed events count, and an
     * event committed after this reading sorts after it (inbox.lock_positions, 004): a stream from now misses none.
     */
    async latestPosition(orgId: string): Promise<string> {
      const [row] = await sql<{ position: string }[]>`
        select greatest(0,
          (select max(position) from inbox.events where org_id = ${orgId} and acked_at is null),
          (select max(position) from inbox.events where org_id = ${orgId} and acked_at is not null))::text as position`;
      return row!.position;
    },

    /** The org's event, with the time its deliveries ended when they have. */
    async find(orgId: string, id: string): Promise<EventDetail | undefined> {
      const [row] = await sql<EventDetail[]>`
        select ${eventColumns(sql)}, s.settled_at from inbox.events e left join inbox.delivery_statuses s on s.event_id = e.id
        where e.id = ${id} and e.org_id = ${orgId}`;
      return row;
    },

    /** Deletes the org's event, for good: the stream cannot bring it back. False when the org has no such event. */
    delete(orgId: string, id: string, beforeCommit: BeforeCommit<string>): Promise<boolean> {
      return sql.begin(async (tx) => {
        const [row] = await tx<{ deleted: boolean }[]>`
          with deleted as (delete from inbox.events where id = ${id} and org_id = ${orgId} returning id),
          statuses as (delete from inbox.delivery_statuses where event_id in (select id from deleted)),
          tombstone as (insert into inbox.deleted_events (event_id, org_id) select id, ${orgId} from deleted on conflict do nothing)
          select exists (select from deleted) as deleted`;
        if (row!.deleted) await beforeCommit(id);
        return row!.deleted;
      });
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

    /** The org's retention in days, or undefined when it has not set one. */
    async retentionDays(orgId: string): Promise<number | undefined> {
      const [row] = await sql<{ retention_days: number }[]>`select retention_days from inbox.org_settings where org_id = ${orgId}`;
      return row?.retention_days;
    },

    async setRetentionDays(orgId: string, days: number, beforeCommit: BeforeCommit<number>): Promise<void> {
      await sql.begin(async (tx) => {
        await tx`
          insert into inbox.org_settings (org_id, retention_days) values (${orgId}, ${days})
          on conflict (org_id) do update set retention_days = excluded.retention_days, updated_at = now()`;
        await beforeCommit(days);
      });
    },

    /**
     * Deletes up to limit events received longer ago than their org keeps events (defaultDays unless it says), the
     * statuses of deleted events, and deletion tombstones the stream can no longer contradict; returns how many
     * events. The expired events are told to delivery, through the outbox, in the same transaction. One replica at a
     * time does this: the others find the lock taken and delete nothing.
     */
    purgeExpired(defaultDays: number, tombstoneDays: number, limit: number): Promise<number> {
      return sql.begin(async (tx) => {
        const [lock] = await tx<{ taken: boolean }[]>`select pg_try_advisory_xact_lock(hashtext('inbox.purge')) as taken`;
        if (!lock!.taken) return 0;
        // A status recorded as its event was deleted (addDeliveryOutcomes), before its tombstone goes.
        await tx`delete from inbox.delivery_statuses s using inbox.deleted_events d where s.event_id = d.event_id`;
        await tx`delete from inbox.deleted_events where deleted_at < now() - make_interval(days => ${tombstoneDays})`;
        // The orgs are found by skipping through the (org_id, received_at) index, and each org's expired events
        // by its range: no scan of the whole table.
        const [row] = await tx<{ gone: Record<string, string[]> }[]>`
          with recursive orgs(org_id) as (
            (select org_id from inbox.events order by org_id limit 1)
            union all
            select (select e.org_id from inbox.events e where e.org_id > orgs.org_id order by e.org_id limit 1)
            from orgs where orgs.org_id is not null),
          expired as (
            select x.id from orgs o
            left join inbox.org_settings s on s.org_id = o.org_id
            cross join lateral (
              select e.id from inbox.events e
              where e.org_id = o.org_id
                and e.received_at < now() - make_interval(days => coalesce(s.retention_days, ${defaultDays}))
              limit ${limit}) x
            where o.org_id is not null
            limit ${limit}),
          gone as (delete from inbox.events e using expired x where e.id = x.id returning e.id, e.org_id),
          statuses as (delete from inbox.delivery_statuses d using gone g where d.event_id = g.id)
          select coalesce(json_object_agg(org_id, ids), '{}') as gone from (
            select org_id, array_agg(id) as ids from gone group by org_id) o`;
        const gone = Object.entries(row!.gone);
        await writeOutbox(
          tx,
          "inbox",
          gone.map(([orgId, ids]) => expiredEventsMessage(orgId, ids)),
        );
        return gone.reduce((count, [, ids]) => count + ids.length, 0);
      });
    },

    /** Acknowledges an event; an event acknowledged before keeps its first acked_at. */
    async ack(orgId: string, id: string): Promise<EventRow | undefined> {
      const [row] = await sql<EventRow[]>`
        with e as (
          update inbox.events set acked_at = coalesce(acked_at, now())
          where id = ${id} and org_id = ${orgId}
          returning *)
        select ${eventColumns(sql)} from e left join inbox.delivery_statuses s on s.event_id = e.id`;
      return row;
    },
  };
}

/**
 * The rows of a page, and one more when there is one, each [JSON text, position] as Postgres sent their bytes: the
 * page is compacted from them, and decoded once. With a lease, the page's events are leased.
 */
function pageRows(sql: Sql, orgId: string, query: InboxQuery) {
  const source = pageSource(sql, orgId, query);
  const where = conditions(sql, orgId, query, source.position);
  return query.leaseSeconds
    ? sql`
      with picked as (
        select e.id from ${source.from} where ${where}
        order by ${source.position} ${direction(sql, query)} limit ${query.limit} for update of e skip locked),
      leased as (
        update inbox.events e set leased_until = now() + make_interval(secs => ${query.leaseSeconds})
        from picked where e.id = picked.id
        returning e.*)
      select ${pageColumns(sql)} from leased e order by e.position ${direction(sql, query)}`.raw()
    : sql`
      select ${pageColumns(sql)} from ${source.from} where ${where}
      order by ${source.position} ${direction(sql, query)} limit ${query.limit + 1}`.raw();
}

/** Events read one by one, in the page's order, and whether more follow already. */
export interface EventsRead {
  events: { json: string; position: string }[];
  more: boolean;
}

/** A page of events: their JSON array, the position of the last one, and whether more follow already. */
export interface InboxPage {
  events: string;
  last: string | undefined;
  more: boolean;
}

/**
 * A page's columns: each event's JSON text (inbox.event_json_text, 007), then its position. The delivery status is
 * looked up for the page's events alone: the page is read in an index's order and stops at its limit.
 */
function pageColumns(sql: Sql) {
  return sql`
    inbox.event_json_text(e.id, e.type, e.source, e.data, e.occurred_at, e.received_at, e.acked_at,
      (select s.status from inbox.delivery_statuses s where s.event_id = e.id)) as json,
    e.position::text as position`;
}

function direction(sql: Sql, query: InboxQuery) {
  return query.direction === "asc" ? sql`asc` : sql`desc`;
}

/** The columns of an event row, its delivery status from its own table: events no longer carry one (006). */
function eventColumns(sql: Sql) {
  return sql`e.id, e.org_id, e.type, e.source, e.data, e.occurred_at, e.received_at, e.acked_at, s.status as delivery_status`;
}

/**
 * Where a page's events are read from, and the position that orders them: filtered by delivery status, the statuses'
 * own index in position order, each joined to its event; otherwise the events' indexes.
 */
function pageSource(sql: Sql, orgId: string, query: InboxQuery) {
  const { status } = query;
  if (status !== "delivered" && status !== "failed") return { from: sql`inbox.events e`, position: sql`e.position` };
  return {
    from: sql`inbox.delivery_statuses ds join inbox.events e on e.id = ds.event_id
              and ds.org_id = ${orgId} and ds.status = ${status} and ds.position is not null`,
    position: sql`ds.position`,
  };
}

type PageSource = ReturnType<typeof pageSource>;

/** The filters of a query as one condition; position is the column the page is ordered by. */
function conditions(sql: Sql, orgId: string, query: InboxQuery, position: PageSource["position"]) {
  const parts = [sql`e.org_id = ${orgId}`];
  if (query.status === "pending") parts.push(sql`e.acked_at is null`);
  if (query.status === "acked") parts.push(sql`e.acked_at is not null`);
  const { type, source, since, until, after, direction, leaseSeconds } = query;
  if (type && "exact" in type) parts.push(sql`e.type = ${type.exact}`);
  // Range operators of text_pattern_ops, which its index serves whatever the parameter: '/' follows '.'.
  if (type && "prefix" in type) parts.push(sql`e.type ~>=~ ${type.prefix} and e.type ~<~ ${successor(type.prefix)}`);
  if (source !== undefined) parts.push(sql`e.source = ${source}`);
  if (since) parts.push(sql`e.received_at >= ${since}`);
  if (until) parts.push(sql`e.received_at < ${until}`);
  if (since || until) parts.push(positionsReceivedIn(sql, orgId, since, until));
  if (after && direction === "asc") parts.push(sql`${position} > ${after}::bigint`);
  if (after && direction === "desc") parts.push(sql`${position} < ${after}::bigint`);
  if (leaseSeconds) parts.push(sql`(e.leased_until is null or e.leased_until <= now())`);
  return parts.reduce((all, part) => sql`${all} and ${part}`);
}

/**
 * The positions of the events received in a time range, bounded from the received_at index: without the bounds,
 * the planner reads pages in position order and drops the events received out of range, which for a recent range
 * of a large org means reading almost all of it.
 */
function positionsReceivedIn(sql: Sql, orgId: string, since: Date | undefined, until: Date | undefined) {
  const range = sql`r.org_id = ${orgId} ${since ? sql`and r.received_at >= ${since}` : sql``} ${until ? sql`and r.received_at < ${until}` : sql``}`;
  return sql`e.position between
    (select coalesce(min(r.position), 0) from inbox.events r where ${range}) and
    (select coalesce(max(r.position), 0) from inbox.events r where ${range})`;
}

/** The first string after every string starting with prefix. */
function successor(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export interface AckCounts {
  acked: number;
  already_acked: number;
  unknown_ids: string[];
}

export type EventStore = ReturnType<typeof createEventStore>;
