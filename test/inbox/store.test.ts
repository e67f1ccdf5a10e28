// The inbox store against a real Postgres: filters, both orders, cursors that skip nothing, leases, an index for every query, and deletes that no replay undoes.

import { setTimeout as delay } from "node:timers/promises";
import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import test, { type ExecutionContext } from "ava";
import { pino } from "pino";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { ExpiredEventsSchema } from "../../gen/triggers/v1/event_pb.js";
import { ListInboxRequestSchema } from "../../gen/triggers/v1/inbox_pb.js";
import { type InboxQuery, inboxQueryOf } from "../../services/inbox/inbox-query.js";
import { createEventStore, type NewEventRow } from "../../services/inbox/store.js";
import { encodeSequenceCursor } from "../../services/shared/cursor.js";
import { connectDatabase, migrate, type Sql } from "../../services/shared/database.js";
import { expiredEventsSubject } from "../../services/shared/streams.js";
import { createDatabase } from "../helpers/throwaway.js";

// Changes whose audit entries these tests do not look at.
const unaudited = async () => {};

let sql: Sql;
let drop: () => Promise<void>;
let store: ReturnType<typeof createEventStore>;
let databaseUrl: string;

test.before(async () => {
  const database = await createDatabase();
  drop = database.drop;
  databaseUrl = database.url;
  const logger = pino({ level: "silent" });
  sql = connectDatabase(database.url, logger);
  await migrate(sql, "inbox", new URL("../../services/inbox/migrations/", import.meta.url), logger);
  store = createEventStore(sql);
});

test.after.always(async () => {
  await sql?.end();
  await drop?.();
});

function event(orgId: string, fields: Partial<NewEventRow> = {}): NewEventRow {
  const now = new Date().toISOString();
  return { id: uuidv7(), org_id: orgId, type: "order.created", source: "shop", data: "{}", occurred_at: now, received_at: now, ...fields };
}

type QueryFields = Parameters<typeof create<typeof ListInboxRequestSchema>>[1];

function query(fields: QueryFields = {}): InboxQuery {
  return inboxQueryOf(create(ListInboxRequestSchema, fields));
}

/** The ids of every page of a listing, following its cursors. */
async function listAll(orgId: string, fields: QueryFields = {}): Promise<string[]> {
  const ids: string[] = [];
  let cursor = "";
  for (;;) {
    const page = await store.list(orgId, query({ limit: 2, ...fields, cursor }));
    const events = JSON.parse(page.events) as { id: string }[];
    ids.push(...events.map((e) => e.id));
    if (!page.more) return ids;
    cursor = encodeSequenceCursor(page.last!, fields.order === "desc" ? "desc" : "asc");
  }
}

test("inbox store - filters by type, type prefix, source, status and received time, oldest or newest first", async (t) => {
  const orgId = uuidv7();
  const hour = 60 * 60 * 1000;
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * hour).toISOString();
  const rows = [
    event(orgId, { type: "order.created", source: "shop", received_at: at(3) }),
    event(orgId, { type: "order.item.added", source: "shop", received_at: at(2) }),
    event(orgId, { type: "orders.archived", source: "erp", received_at: at(1) }),
    event(orgId, { type: "user.created", source: "crm", received_at: at(0) }),
  ];
  await store.addEvents(rows);
  await store.addEvents([event(uuidv7(), { type: "order.created" })]);
  const ids = rows.map((row) => row.id);
  const [created, itemAdded, archived, user] = ids;
  await store.ack(orgId, user!);
  await store.addDeliveryOutcomes([{ event_id: itemAdded!, org_id: orgId, status: "failed", settled_at: new Date() }]);
  await store.addDeliveryOutcomes([{ event_id: created!, org_id: orgId, status: "delivered", settled_at: new Date() }]);

  t.deepEqual(await listAll(orgId), [created, itemAdded, archived]);
  t.deepEqual(await listAll(orgId, { order: "desc" }), [archived, itemAdded, created]);
  t.deepEqual(await listAll(orgId, { type: "order.created" }), [created]);
  t.deepEqual(await listAll(orgId, { type: "order.*" }), [created, itemAdded], "order.* is not orders.*");
  t.deepEqual(await listAll(orgId, { source: "erp" }), [archived]);
  t.deepEqual(await listAll(orgId, { status: "acked" }), [user]);
  t.deepEqual(await listAll(orgId, { status: "delivered" }), [created]);
  t.deepEqual(await listAll(orgId, { status: "failed" }), [itemAdded]);
  const since = timestampFromDate(new Date(Date.now() - 2.5 * hour));
  const until = timestampFromDate(new Date(Date.now() - 0.5 * hour));
  t.deepEqual(await listAll(orgId, { since, until }), [itemAdded, archived]);
  t.deepEqual(await listAll(orgId, { since, status: "acked" }), [user]);
});

test("inbox store - a page writes each event as the API does: proto names in order, times to the millisecond, strings and data exact", async (t) => {
  const orgId = uuidv7();
  // Times within the retention, so that the purge's test leaves them; from a whole second, so that each is known.
  const second = Math.floor(Date.now() / 1000) * 1000 - 60 * 60 * 1000;
  const at = (ms: number) => new Date(second + ms).toISOString();
  const data = '{"text": "a, b: \\"c\\"", "big": 12345678901234567890, "nested": {"list": [1.50, null, true, "ü ✓"]}}';
  const row = event(orgId, { source: 'shop "eu" ✓ \\', data, occurred_at: at(120), received_at: at(1000).replace("Z", "999Z") });
  const plain = event(orgId, { occurred_at: at(0), received_at: at(0) });
  await store.addEvents([row, plain]);
  await store.addDeliveryOutcomes([{ event_id: row.id, org_id: orgId, status: "failed", settled_at: new Date() }]);
  await sql`update inbox.events set acked_at = ${at(2500)} where id = ${row.id}`;
  const acked = await store.list(orgId, query({ status: "acked" }));
  t.is(
    acked.events,
    `[{"id":"${row.id}","type":"order.created","source":"shop \\"eu\\" ✓ \\\\",` +
      `"data":{"big":12345678901234567890,"text":"a, b: \\"c\\"","nested":{"list":[1.50,null,true,"ü ✓"]}},` +
      `"occurred_at":"${at(120)}","received_at":"${at(1000).replace(".000Z", "Z")}","acked_at":"${at(2500)}",` +
      `"delivery_status":"EVENT_DELIVERY_STATUS_FAILED"}]`,
  );
  const pending = await store.list(orgId, query());
  const whole = at(0).replace(".000Z", "Z");
  t.is(
    pending.events,
    `[{"id":"${plain.id}","type":"order.created","source":"shop","data":{},"occurred_at":"${whole}","received_at":"${whole}"}]`,
  );
  t.is(pending.more, false);
});

interface PlanNode {
  "Node Type": string;
  Plans?: PlanNode[];
}

test("inbox store - a page's events are written one by one as the index yields them, never sorted or gathered into one value", async (t) => {
  // Gathering a page into one value (json_agg, sorted) cost five times the rest of the query's CPU.
  const orgId = uuidv7();
  await store.addEvents([event(orgId), event(orgId), event(orgId)]);
  const sent: { query: string; parameters: unknown[] }[] = [];
  const watched = postgres(databaseUrl, {
    max: 1,
    onnotice: () => {},
    debug: (_id, query, parameters) => sent.push({ query, parameters }),
  });
  t.teardown(() => watched.end());
  const page = await createEventStore(watched).list(orgId, query({ limit: 2 }));
  t.is((JSON.parse(page.events) as unknown[]).length, 2);
  t.true(page.more);
  const listing = sent.find(({ query }) => query.includes("inbox.events"));
  const [explained] = await sql.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(
    `explain (format json) ${listing!.query}`,
    listing!.parameters as never[],
  );
  const nodes: string[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node["Node Type"]);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(explained!["QUERY PLAN"][0].Plan);
  t.deepEqual(
    nodes.filter((type) => /Sort|Aggregate|WindowAgg/.test(type)),
    [],
    nodes.join(" > "),
  );
});

// Serial: while its write holds the positions' lock, other tests' writes wait on it, each holding one of the pool's
// connections, and with enough of them this test's own reads would find none free.
test.serial("inbox store - an event stored while an earlier write is still open sorts after it, so a cursor never skips one", async (t) => {
  const orgId = uuidv7();
  const early = event(orgId);
  const late = event(orgId);
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let written!: () => void;
  const numbered = new Promise<void>((resolve) => {
    written = resolve;
  });
  // The earlier write holds its transaction open, as a slow replica's would, after numbering its event.
  const slow = sql.begin(async (tx) => {
    await tx`select inbox.lock_positions()`;
    await tx`insert into inbox.events (id, org_id, type, source, data, occurred_at, received_at)
             values (${early.id}, ${orgId}, ${early.type}, '', '{}', now(), now())`;
    written();
    await held;
  });
  await numbered;
  const later = store.addEvents([late]);
  t.deepEqual(await listAll(orgId), [], "nothing is committed yet");
  release();
  await Promise.all([slow, later]);
  t.deepEqual(await listAll(orgId), [early.id, late.id]);
});

/** A point a test holds a write at: the write awaits opened, and the test calls open to let it go on. */
function latch() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves once count other connections wait for a lock the backend pid holds; fails after 5 s. */
async function blockedBy(pid: number, count = 1): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const [row] = await sql<{ waiting: number }[]>`
      select count(*)::int as waiting from pg_stat_activity a where ${pid}::int = any(pg_blocking_pids(a.pid))`;
    if (row!.waiting >= count) return;
    if (Date.now() > deadline) throw new Error(`${row!.waiting} of ${count} connections waited on backend ${pid}`);
    await delay(10);
  }
}

/** The backend whose open transaction deleted the event's row: it holds the row's deletion until it commits. */
async function deleterOf(id: string): Promise<number> {
  const [row] = await sql<{ pid: number }[]>`
    select l.pid from inbox.events e
    join pg_locks l on l.locktype = 'transactionid' and l.transactionid = e.xmax and l.granted
    where e.id = ${id}`;
  return row!.pid;
}

/** The org's only event is gone from every read: not found, listed, counted or acknowledged, and not deleted twice. */
async function assertGone(t: ExecutionContext, orgId: string, id: string): Promise<void> {
  t.is(await store.find(orgId, id), undefined, "found");
  t.deepEqual(await listAll(orgId), [], "listed");
  t.is(await store.latestPosition(orgId), "0", "counted in the latest position");
  t.deepEqual((await store.ackMany(orgId, [id])).unknown_ids, [id], "acknowledged");
  t.false(await store.delete(orgId, id, unaudited), "deleted a second time");
}

// The replays below race a delete of their event at the points where a replay could bring it back. Serial, as the
// test above: each holds locks while it waits.
test.serial("inbox store - a replay whose write began before a delete committed does not bring the event back", async (t) => {
  const orgId = uuidv7();
  const row = event(orgId);
  await store.addEvents([row]);
  // Another replica's write holds the positions' lock, so the replay's statement, its snapshot already taken, waits
  // for it while the delete commits.
  const locked = latch();
  const writing = latch();
  let writer = 0;
  const other = sql.begin(async (tx) => {
    const [me] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid, inbox.lock_positions()`;
    writer = me!.pid;
    locked.open();
    await writing.opened;
  });
  await locked.opened;
  // The replayed message holds an event of another org, stored for the first time.
  const neighbour = event(uuidv7());
  const replay = store.addEvents([row, neighbour]);
  await blockedBy(writer);
  const audited: string[] = [];
  t.true(await store.delete(orgId, row.id, async (id) => void audited.push(id)));
  writing.open();
  await Promise.all([other, replay]);
  t.deepEqual(audited, [row.id]);
  await assertGone(t, orgId, row.id);
  t.truthy(await store.find(neighbour.org_id, neighbour.id), "the replay's other event");
});

test.serial("inbox store - a replay that meets a delete not yet committed does not bring the event back", async (t) => {
  const orgId = uuidv7();
  const row = event(orgId);
  await store.addEvents([row]);
  // The delete holds its transaction open after deleting, as a slow audit write would; the replay waits for it.
  const auditing = latch();
  const committing = latch();
  const deleting = store.delete(orgId, row.id, async () => {
    auditing.open();
    await committing.opened;
  });
  await auditing.opened;
  const replay = store.addEvents([row]);
  await blockedBy(await deleterOf(row.id));
  committing.open();
  t.true(await deleting);
  await replay;
  await assertGone(t, orgId, row.id);
});

test.serial(
  "inbox store - a delete that meets the event's first write still open answers not found and audits nothing; the event, once in, can be deleted",
  async (t) => {
    const orgId = uuidv7();
    const row = event(orgId);
    // The first write is held after it stored the event, giving the outcome that came before it its position: the
    // status row is locked.
    await store.addDeliveryOutcomes([{ event_id: row.id, org_id: orgId, status: "delivered", settled_at: new Date() }]);
    const locked = latch();
    const holding = latch();
    let holder = 0;
    const hold = sql.begin(async (tx) => {
      const [me] = await tx<{ pid: number }[]>`
        select pg_backend_pid() as pid from inbox.delivery_statuses where event_id = ${row.id} for update`;
      holder = me!.pid;
      locked.open();
      await holding.opened;
    });
    await locked.opened;
    const first = store.addEvents([row]);
    await blockedBy(holder);
    const audited: string[] = [];
    t.false(await store.delete(orgId, row.id, async (id) => void audited.push(id)), "the inbox has no such event yet");
    holding.open();
    await Promise.all([hold, first]);
    t.deepEqual(audited, []);
    t.truthy(await store.find(orgId, row.id), "the event, stored once the delete had answered");
    t.true(await store.delete(orgId, row.id, unaudited));
    await assertGone(t, orgId, row.id);
  },
);

test.serial(
  "inbox store - an outcome and a replay meeting a delete bring nothing back, and the purge clears the status the outcome left",
  async (t) => {
    const orgId = uuidv7();
    const row = event(orgId);
    await store.addEvents([row]);
    await store.addDeliveryOutcomes([{ event_id: row.id, org_id: orgId, status: "delivered", settled_at: new Date() }]);
    const auditing = latch();
    const committing = latch();
    const deleting = store.delete(orgId, row.id, async () => {
      auditing.open();
      await committing.opened;
    });
    await auditing.opened;
    // Both wait for the delete: the outcome for the status row it deleted, the replay for the event's.
    const outcome = store.addDeliveryOutcomes([{ event_id: row.id, org_id: orgId, status: "failed", settled_at: new Date() }]);
    const replay = store.addEvents([row]);
    await blockedBy(await deleterOf(row.id), 2);
    committing.open();
    t.true(await deleting);
    await Promise.all([outcome, replay]);
    await assertGone(t, orgId, row.id);
    t.deepEqual(await listAll(orgId, { status: "failed" }), []);
    await store.purgeExpired(30, 8, 1000);
    t.is((await sql`select from inbox.delivery_statuses where event_id = ${row.id}`).length, 0, "a status left");
  },
);

test("inbox store - a lease hides events from other leases until it ends or they are acked, and plain listing sees them all", async (t) => {
  const orgId = uuidv7();
  const rows = [event(orgId), event(orgId), event(orgId)];
  await store.addEvents(rows);
  const ids = (page: { events: string }) => (JSON.parse(page.events) as { id: string }[]).map((e) => e.id);
  const first = await store.list(orgId, query({ limit: 2, lease: 60 }));
  t.deepEqual(ids(first), [rows[0]!.id, rows[1]!.id]);
  const second = await store.list(orgId, query({ limit: 2, lease: 60 }));
  t.deepEqual(ids(second), [rows[2]!.id]);
  t.deepEqual(ids(await store.list(orgId, query({ limit: 2, lease: 60 }))), []);
  t.is(ids(await store.list(orgId, query())).length, 3);
  // A lease that has ended gives the event back.
  await sql`update inbox.events set leased_until = now() - interval '1 second' where id = ${rows[1]!.id}`;
  await store.ack(orgId, rows[0]!.id);
  t.deepEqual(ids(await store.list(orgId, query({ lease: 60 }))), [rows[1]!.id]);
});

test("inbox store - every combination of filters and order reads the events of its page from an index, not the org's whole inbox", async (t) => {
  // One large org among small ones, where each filter is rare: a query that found its page by reading the org's
  // events in order and dropping those that do not match would read thousands of rows.
  const big = uuidv7();
  const rows = Array.from({ length: 8000 }, (_, i) =>
    event(big, {
      type: i % 100 === 7 ? "rare.thing" : `common.${i % 3}`,
      source: i % 100 === 42 ? "rare-source" : "common",
      received_at: new Date(Date.now() - (8000 - i) * 60_000).toISOString(),
    }),
  );
  const small = Array.from({ length: 40 }, () => uuidv7()).flatMap((orgId) => Array.from({ length: 50 }, () => event(orgId)));
  for (const batch of [rows.slice(0, 4000), rows.slice(4000), small]) await store.addEvents(batch);
  const acked = rows.filter((_, i) => i % 100 === 3).map((row) => row.id);
  await store.ackMany(big, acked);
  const outcomes = rows.filter((_, i) => i % 100 === 5 || i % 100 === 6);
  await store.addDeliveryOutcomes(
    outcomes.map((row, i) => ({ event_id: row.id, org_id: big, status: i % 2 ? "failed" : "delivered", settled_at: new Date() })),
  );
  await sql`analyze inbox.events`;
  // One connection, so that the statistics it flushes are those of the queries it ran.
  const one = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  t.teardown(() => one.end());
  const lister = createEventStore(one);
  const read = async () => {
    await one`select pg_stat_force_next_flush()`;
    const [row] = await one<{ scans: string; fetched: string }[]>`
      select seq_scan::text as scans, idx_tup_fetch::text as fetched from pg_stat_user_tables where relid = 'inbox.events'::regclass`;
    return { scans: Number(row!.scans), fetched: Number(row!.fetched) };
  };
  const ranges = {
    all: {},
    recent: { since: timestampFromDate(new Date(Date.now() - 60 * 60_000)) },
    window: { since: timestampFromDate(new Date(Date.now() - 60 * 60_000)), until: timestampFromDate(new Date(Date.now() - 10 * 60_000)) },
  };
  const costly: string[] = [];
  for (const status of ["pending", "acked", "delivered", "failed"])
    for (const type of ["", "rare.thing", "rare.*"])
      for (const source of ["", "rare-source"])
        for (const [range, times] of Object.entries(ranges))
          for (const order of ["asc", "desc"]) {
            const before = await read();
            await lister.list(big, query({ limit: 10, status, type, source, order, ...times }));
            const after = await read();
            const fetched = after.fetched - before.fetched;
            if (after.scans > before.scans || fetched > 200)
              costly.push(`${JSON.stringify({ status, type, source, range, order })}: ${fetched}`);
          }
  t.deepEqual(costly, []);
});

test("inbox store - the purge deletes events older than their org keeps them, with their statuses, and old tombstones", async (t) => {
  const [usual, patient] = [uuidv7(), uuidv7()];
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 60 * 60 * 1000).toISOString();
  const old = event(usual, { received_at: daysAgo(31) });
  const recent = event(usual, { received_at: daysAgo(29) });
  const kept = event(patient, { received_at: daysAgo(40) });
  const expired = event(patient, { received_at: daysAgo(61) });
  await store.addEvents([old, recent, kept, expired]);
  await store.setRetentionDays(patient, 60, unaudited);
  await store.addDeliveryOutcomes([{ event_id: old.id, org_id: usual, status: "delivered", settled_at: new Date() }]);
  const tombstone = uuidv7();
  await sql`insert into inbox.deleted_events (event_id, org_id, deleted_at) values (${tombstone}, ${usual}, now() - interval '9 days')`;
  // Other tests' events are recent: a small batch still reaches every org's expired ones, round after round.
  let purged = 0;
  for (let round = await store.purgeExpired(30, 8, 1); round > 0; round = await store.purgeExpired(30, 8, 1)) purged += round;
  t.is(purged, 2);
  const left = await sql<{ id: string }[]>`select id from inbox.events where id in ${sql([old.id, recent.id, kept.id, expired.id])}`;
  t.deepEqual(left.map((row) => row.id).sort(), [recent.id, kept.id].sort());
  t.is((await sql`select from inbox.delivery_statuses where event_id = ${old.id}`).length, 0);
  t.is((await sql`select from inbox.deleted_events where event_id = ${tombstone}`).length, 0);
  // Delivery is told, through the outbox, of each org's expired events.
  const told = await sql<{ subject: string; data: Buffer }[]>`
    select subject, data from inbox.outbox where subject in ${sql([expiredEventsSubject(usual), expiredEventsSubject(patient)])}`;
  t.deepEqual(
    told
      .map(({ data }) => fromBinary(ExpiredEventsSchema, data))
      .map(({ orgId, eventIds }) => [orgId, eventIds])
      .sort(),
    [
      [usual, [old.id]],
      [patient, [expired.id]],
    ].sort(),
  );
});

test("inbox store - a deleted event never comes back from the stream", async (t) => {
  const orgId = uuidv7();
  const row = event(orgId);
  await store.addEvents([row]);
  t.true(await store.delete(orgId, row.id, unaudited));
  await store.addEvents([row]);
  t.is(await store.find(orgId, row.id), undefined);
  t.false(await store.delete(orgId, row.id, unaudited));
});

test("inbox store - a delete or a change of retention whose audit entry cannot be written is undone", async (t) => {
  const orgId = uuidv7();
  const row = event(orgId);
  await store.addEvents([row]);
  await store.setRetentionDays(orgId, 60, unaudited);
  const auditDown = async () => {
    throw new Error("the audit stream is unreachable");
  };
  await t.throwsAsync(store.delete(orgId, row.id, auditDown), { message: /audit/ });
  await t.throwsAsync(store.setRetentionDays(orgId, 90, auditDown), { message: /audit/ });
  t.truthy(await store.find(orgId, row.id));
  t.is(await store.retentionDays(orgId), 60);
});

test("inbox store - a delivery outcome recorded before its event is on the event once stored, and counted missing until then", async (t) => {
  const orgId = uuidv7();
  const row = event(orgId);
  const outcome = { event_id: row.id, org_id: orgId, status: "failed" as const, settled_at: new Date() };
  t.deepEqual(await store.addDeliveryOutcomes([outcome]), { missing: 1 });
  await store.addEvents([row]);
  t.is((await store.find(orgId, row.id))?.delivery_status, "failed");
  t.deepEqual(await store.addDeliveryOutcomes([outcome]), { missing: 0 });
  t.deepEqual(await listAll(orgId, { status: "failed" }), [row.id]);
});
