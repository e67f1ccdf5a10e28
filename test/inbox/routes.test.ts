// The inbox's routes in memory: pages and cursors, limits, reading and acknowledging, and each org kept to its own events.
import { create } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { CancelEventDeliveriesResponseSchema, ListEventDeliveriesResponseSchema } from "../../gen/triggers/v1/delivery_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { inboxRoutes } from "../../services/inbox/routes.js";
import type { AuditAction } from "../../services/shared/audit.js";
import { newKey, refusalOf, requireKnownKeys, serveInMemory, withKey } from "../helpers/routes.js";
import { MemoryEventStore } from "./memory-store.js";

function inbox() {
  const store = new MemoryEventStore();
  const orgs = { a: uuidv7(), b: uuidv7() };
  const keys = { a: newKey(), b: newKey() };
  // No event arrives during these tests: a long-poll would simply wait out its time.
  const arrivals = {
    watch: () => ({ next: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), close: () => {} }),
  };
  // The delivery service as the routes see it: no deliveries, and a record of the events whose deliveries were cancelled.
  const cancelled: string[] = [];
  const delivery = {
    listEventDeliveries: async () => create(ListEventDeliveriesResponseSchema),
    cancelEventDeliveries: async ({ eventId }: { eventId?: string }) => {
      cancelled.push(eventId!);
      return create(CancelEventDeliveriesResponseSchema);
    },
  };
  const audited: AuditAction[] = [];
  const audit = async (_ctx: unknown, action: AuditAction) => void audited.push(action);
  const transport = serveInMemory(
    inboxRoutes({ store, arrivals, delivery, defaultRetentionDays: 30, draining: new AbortController().signal, audit }),
    [requireKnownKeys({ [keys.a]: orgs.a, [keys.b]: orgs.b })],
  );
  return { store, orgs, keys, cancelled, audited, client: createClient(InboxService, transport) };
}

test("inbox routes - pages follow the cursor to the end, oldest first, without repeats", async (t) => {
  const { store, orgs, keys, client } = inbox();
  const ids = Array.from({ length: 5 }, () => store.add({ id: uuidv7(), org_id: orgs.a, type: "order.created" }).id);
  const seen: string[] = [];
  let cursor = "";
  do {
    const page = await client.listInbox({ limit: 2, cursor }, withKey(keys.a));
    seen.push(...page.events.map((event) => event.id));
    cursor = page.nextCursor;
  } while (cursor);
  t.deepEqual(seen, ids);
});

test("inbox routes - acknowledged events leave the pending pages, and acknowledging again keeps the first time", async (t) => {
  const { store, orgs, keys, client } = inbox();
  const [first, second] = [uuidv7(), uuidv7()].map((id) => store.add({ id, org_id: orgs.a, type: "t" }).id);
  const acked = await client.ackEvent({ id: first }, withKey(keys.a));
  const again = await client.ackEvent({ id: first }, withKey(keys.a));
  t.deepEqual(again.event?.ackedAt, acked.event?.ackedAt);
  t.deepEqual(
    (await client.listInbox({}, withKey(keys.a))).events.map((event) => event.id),
    [second],
  );
});

test("inbox routes - another org's event is not found, to read or to acknowledge, and not listed", async (t) => {
  const { store, orgs, keys, client } = inbox();
  const theirs = store.add({ id: uuidv7(), org_id: orgs.b, type: "t" }).id;
  t.is((await refusalOf(client.getEvent({ id: theirs }, withKey(keys.a)))).code, Code.NotFound);
  t.is((await refusalOf(client.ackEvent({ id: theirs }, withKey(keys.a)))).code, Code.NotFound);
  t.deepEqual((await client.listInbox({}, withKey(keys.a))).events, []);
  t.is(store.rows[0]?.acked_at, null);
});

test("inbox routes - a bad limit, a foreign cursor or a malformed id is an invalid field naming it", async (t) => {
  const { keys, client } = inbox();
  t.deepEqual(await refusalOf(client.listInbox({ limit: 1001 }, withKey(keys.a))), { code: Code.InvalidArgument, field: "limit" });
  t.deepEqual(await refusalOf(client.listInbox({ cursor: "e30" }, withKey(keys.a))), { code: Code.InvalidArgument, field: "cursor" });
  t.deepEqual(await refusalOf(client.getEvent({ id: "42" }, withKey(keys.a))), { code: Code.InvalidArgument, field: "id" });
});

test("inbox routes - without a key, or with one auth does not know, nothing is answered", async (t) => {
  const { client } = inbox();
  t.is((await refusalOf(client.listInbox({}))).code, Code.Unauthenticated);
  t.is((await refusalOf(client.listInbox({}, withKey(newKey())))).code, Code.Unauthenticated);
});

test("inbox routes - a bulk ack names the id at fault, and refuses none or more than 1000 ids", async (t) => {
  const { keys, client } = inbox();
  for (const [ids, field] of [
    [[], "ids"],
    [Array.from({ length: 1001 }, () => uuidv7()), "ids"],
    [[uuidv7(), "not-an-id"], "ids[1]"],
  ] as const) {
    const { code, field: named } = await refusalOf(client.ackEvents({ ids: [...ids] }, withKey(keys.a)));
    t.is(code, Code.InvalidArgument);
    t.is(named, field);
  }
});

test("inbox routes - deleting an event cancels its deliveries, then it is gone and audited; another org's is not found, and nothing is cancelled or audited", async (t) => {
  const { store, orgs, keys, cancelled, audited, client } = inbox();
  const mine = store.add({ id: uuidv7(), org_id: orgs.a, type: "t" }).id;
  const theirs = store.add({ id: uuidv7(), org_id: orgs.b, type: "t" }).id;
  t.is((await refusalOf(client.deleteEvent({ id: theirs }, withKey(keys.a)))).code, Code.NotFound);
  t.deepEqual(cancelled, []);
  t.deepEqual(audited, []);
  await client.deleteEvent({ id: mine }, withKey(keys.a));
  t.deepEqual(cancelled, [mine]);
  t.deepEqual(audited, [{ orgId: orgs.a, keyId: `key-of-${orgs.a}`, action: "event.deleted", resource: "event", resourceId: mine }]);
  t.is((await refusalOf(client.getEvent({ id: mine }, withKey(keys.a)))).code, Code.NotFound);
  t.is((await refusalOf(client.deleteEvent({ id: mine }, withKey(keys.a)))).code, Code.NotFound);
  t.truthy(await store.find(orgs.b, theirs));
});

test("inbox routes - retention is 30 days until the org sets its own, from 7 to 365 days, and it is the org's alone", async (t) => {
  const { keys, client } = inbox();
  t.is((await client.getInboxSettings({}, withKey(keys.a))).settings?.retentionDays, 30);
  t.is((await client.updateInboxSettings({ settings: { retentionDays: 90 } }, withKey(keys.a))).settings?.retentionDays, 90);
  t.is((await client.getInboxSettings({}, withKey(keys.a))).settings?.retentionDays, 90);
  t.is((await client.getInboxSettings({}, withKey(keys.b))).settings?.retentionDays, 30);
  for (const retentionDays of [6, 366, 0]) {
    const refusal = await refusalOf(client.updateInboxSettings({ settings: { retentionDays } }, withKey(keys.a)));
    t.deepEqual(refusal, { code: Code.InvalidArgument, field: "retention_days" });
  }
  t.deepEqual(await refusalOf(client.updateInboxSettings({}, withKey(keys.a))), { code: Code.InvalidArgument, field: "settings" });
});

test("inbox routes - a change of retention is audited with the new value; a refused one is not", async (t) => {
  const { orgs, keys, audited, client } = inbox();
  await refusalOf(client.updateInboxSettings({ settings: { retentionDays: 6 } }, withKey(keys.a)));
  await client.updateInboxSettings({ settings: { retentionDays: 90 } }, withKey(keys.a));
  t.deepEqual(audited, [
    {
      orgId: orgs.a,
      keyId: `key-of-${orgs.a}`,
      action: "inbox.settings_updated",
      resource: "inbox",
      resourceId: orgs.a,
      details: { retention_days: 90 },
    },
  ]);
});
