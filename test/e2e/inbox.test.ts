// The inbox through the running stack as pull consumers use it: filters and order over REST, long-polls woken by
// arrivals, leases, an event's history, deletion.
import test from "ava";
import { type ApiClient, apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

async function newOrg(): Promise<ApiClient> {
  return apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
}

const idsOf = (reply: { body: { events: { id: string }[] } }) => reply.body.events.map((e) => e.id);

async function publishAll(api: ApiClient, events: object[]): Promise<string[]> {
  const ids: string[] = [];
  for (const event of events) ids.push((await api.post("/v1/events", event)).body.id);
  await eventually(
    async () => ((await api.get("/v1/inbox?limit=1000")).body.events.length >= ids.length ? true : undefined),
    "the events in the inbox",
  );
  return ids;
}

test("inbox - REST filters by type prefix, source, status and time, and pages newest first", async (t) => {
  const api = await newOrg();
  const [created, added, user] = await publishAll(api, [
    { type: "order.created", source: "shop" },
    { type: "order.item.added", source: "shop" },
    { type: "user.created", source: "crm" },
  ]);
  t.deepEqual(idsOf(await api.get("/v1/inbox?type=order.*")), [created, added]);
  t.deepEqual(idsOf(await api.get("/v1/inbox?type=user.created")), [user]);
  t.deepEqual(idsOf(await api.get("/v1/inbox?source=crm")), [user]);
  t.deepEqual(idsOf(await api.get("/v1/inbox?order=desc")), [user, added, created]);
  await api.post(`/v1/events/${added}/ack`);
  t.deepEqual(idsOf(await api.get("/v1/inbox?status=acked")), [added]);
  t.deepEqual(idsOf(await api.get("/v1/inbox")), [created, user]);
  const future = new Date(Date.now() + 60_000).toISOString();
  t.deepEqual(idsOf(await api.get(`/v1/inbox?since=${future}`)), []);
  t.deepEqual(idsOf(await api.get(`/v1/inbox?until=${future}&type=order.*&status=pending`)), [created]);
  const newest = await api.get("/v1/inbox?order=desc&limit=1");
  const next = await api.get(`/v1/inbox?order=desc&limit=1&cursor=${newest.body.next_cursor}`);
  t.deepEqual([...idsOf(newest), ...idsOf(next)], [user, created]);
  const mixed = await api.get(`/v1/inbox?order=asc&cursor=${newest.body.next_cursor}`);
  t.like(mixed, { status: 400, body: { details: [{ field: "cursor" }] } });
});

test("inbox - a bad filter is 400 naming it", async (t) => {
  const api = await newOrg();
  for (const [query, field] of [
    ["status=lost", "status"],
    ["order=sideways", "order"],
    ["type=has space", "type"],
    ["type=order.**", "type"],
    ["since=yesterday", "since"],
    ["since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until"],
    ["wait=31", "wait"],
    ["lease=43201", "lease"],
    ["lease=10&status=acked", "lease"],
  ]) {
    const reply = await api.get(`/v1/inbox?${query}`);
    t.is(reply.status, 400, query);
    t.is(reply.body.details?.[0]?.field, field, query);
  }
});

test("inbox - a long-poll answers with the event that arrives while it waits", async (t) => {
  const api = await newOrg();
  const waiting = api.get("/v1/inbox?wait=30");
  // Give the poll time to find the inbox empty: from then on, only being woken brings it the event (a poll that
  // waited out its time would answer an empty page).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const posted = await api.post("/v1/events", { type: "late.arrival" });
  const reply = await waiting;
  t.is(reply.status, 200);
  t.deepEqual(idsOf(reply), [posted.body.id]);
});

test("inbox - a long-poll with nothing arriving ends with an empty page, and one with events answers at once", async (t) => {
  const api = await newOrg();
  t.deepEqual((await api.get("/v1/inbox?wait=1")).body, { events: [], next_cursor: "", has_more: false });
  const [id] = await publishAll(api, [{ type: "already.here" }]);
  t.deepEqual(idsOf(await api.get("/v1/inbox?wait=30")), [id]);
});

test("inbox - competing consumers with leases each get other events, and an unacked event comes back when its lease ends", async (t) => {
  const api = await newOrg();
  const ids = await publishAll(api, [{ type: "job" }, { type: "job" }, { type: "job" }]);
  // Long enough that the second listing comes while it holds, on a loaded machine too; short enough to see it end.
  const first = await api.get("/v1/inbox?limit=2&lease=5");
  const second = await api.get("/v1/inbox?limit=2&lease=30");
  t.deepEqual(idsOf(first), ids.slice(0, 2));
  t.deepEqual(idsOf(second), ids.slice(2));
  t.deepEqual(idsOf(await api.get("/v1/inbox")), ids, "a plain listing leases nothing and sees every pending event");
  await api.post(`/v1/events/${ids[0]}/ack`);
  const back = await eventually(async () => {
    const reply = await api.get("/v1/inbox?lease=30");
    return reply.body.events.length > 0 ? reply : undefined;
  }, "the lease to end");
  t.deepEqual(idsOf(back), [ids[1]]);
});

test("inbox - an event's detail tells what became of it, in order, and how many delivery attempts were made", async (t) => {
  const hook = await startReceiver((_req, res) => res.writeHead(204).end());
  t.teardown(hook.close);
  const api = await newOrg();
  await api.post("/v1/subscriptions", { url: hook.url, event_types: ["order.paid"] });
  const [id] = await publishAll(api, [{ type: "order.paid" }]);
  const delivered = await eventually(async () => {
    const reply = await api.get(`/v1/events/${id}`);
    return reply.body.event.delivery_status ? reply : undefined;
  }, "the event delivered");
  t.deepEqual(
    delivered.body.history.map((change: { status: string }) => change.status),
    ["EVENT_HISTORY_STATUS_RECEIVED", "EVENT_HISTORY_STATUS_QUEUED", "EVENT_HISTORY_STATUS_DELIVERED"],
  );
  t.is(delivered.body.delivery_attempts, 1);
  t.is(delivered.body.history[0].at, delivered.body.event.received_at);
  await api.post(`/v1/events/${id}/ack`);
  const acked = await api.get(`/v1/events/${id}`);
  t.like(acked.body.history.at(-1), { status: "EVENT_HISTORY_STATUS_ACKED", at: acked.body.event.acked_at });
});

test("inbox - deleting an event takes it out of the inbox and cancels its pending deliveries; deleting again is 404", async (t) => {
  // An endpoint that keeps failing: the delivery stays pending between retries.
  const hook = await startReceiver((_req, res) => res.writeHead(500).end());
  t.teardown(hook.close);
  const api = await newOrg();
  await api.post("/v1/subscriptions", { url: hook.url });
  const [id, kept] = await publishAll(api, [{ type: "doomed" }, { type: "kept" }]);
  // An attempt is recorded after its endpoint answers: each delivery is pending once it is listed.
  const listed = async (event: string) => (await api.get(`/v1/events/${event}/deliveries`)).body.deliveries?.length > 0;
  await eventually(async () => ((await listed(id!)) && (await listed(kept!)) ? true : undefined), "the first attempts");
  const deleted = await api.delete(`/v1/events/${id}`);
  t.is(deleted.status, 200);
  t.is((await api.get(`/v1/events/${id}`)).status, 404);
  t.deepEqual(idsOf(await api.get("/v1/inbox")), [kept]);
  const deliveries = await api.get(`/v1/events/${id}/deliveries`);
  t.deepEqual(
    deliveries.body.deliveries.map((d: { state: string }) => d.state),
    ["DELIVERY_STATE_CANCELLED"],
  );
  const keptDeliveries = await api.get(`/v1/events/${kept}/deliveries`);
  t.is(keptDeliveries.body.deliveries[0].state, "DELIVERY_STATE_PENDING");
  t.is((await api.delete(`/v1/events/${id}`)).status, 404);
});

test("inbox - the org's event types are listed once each, in order, a page at a time, and no other org's", async (t) => {
  const api = await newOrg();
  const other = await newOrg();
  await publishAll(other, [{ type: "invoice.sent" }]);
  const types = ["order.paid", "order.created", "order.paid", "user.signed_up"];
  const [, , , signedUp] = await publishAll(
    api,
    types.map((type) => ({ type })),
  );
  // An acknowledged event's type is still the org's.
  await api.post(`/v1/events/${signedUp}/ack`, {});
  const first = await api.get("/v1/event-types?limit=2");
  t.like(first.body, { event_types: ["order.created", "order.paid"], has_more: true });
  const second = await api.get(`/v1/event-types?limit=2&cursor=${first.body.next_cursor}`);
  t.like(second.body, { event_types: ["user.signed_up"], has_more: false });
  t.deepEqual((await other.get("/v1/event-types")).body.event_types, ["invoice.sent"]);
  t.is((await api.get("/v1/event-types?limit=1001")).status, 400);
  t.is((await api.get("/v1/event-types?cursor=bm9wZQ")).status, 400);
  t.is((await api.get(`/v1/event-types?cursor=${first.body.next_cursor.slice(1)}`)).status, 400);
});

test("inbox - an org sets how long its events are kept over REST", async (t) => {
  const api = await newOrg();
  t.deepEqual((await api.get("/v1/inbox/settings")).body, { retention_days: 30 });
  t.deepEqual((await api.patch("/v1/inbox/settings", { retention_days: 90 })).body, { retention_days: 90 });
  t.deepEqual((await api.get("/v1/inbox/settings")).body, { retention_days: 90 });
  const refused = await api.patch("/v1/inbox/settings", { retention_days: 3 });
  t.like(refused, { status: 400, body: { details: [{ field: "retention_days" }] } });
});

test("inbox - paging while events keep arriving sees every event exactly once", async (t) => {
  const api = await newOrg();
  const published: string[] = [];
  // Several publishers at once, as several ingest clients would be: events reach the inbox in batches, out of id order.
  const publishing = Promise.all(
    Array.from({ length: 4 }, async (_, worker) => {
      for (let i = 0; i < 40; i++) published.push((await api.post("/v1/events", { type: "tick", data: { worker, i } })).body.id);
    }),
  );
  const seen: string[] = [];
  let cursor = "";
  const page = async () => {
    const reply = await api.get(`/v1/inbox?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
    seen.push(...idsOf(reply));
    cursor = reply.body.next_cursor || cursor;
  };
  let done = false;
  void publishing.then(() => {
    done = true;
  });
  while (!done) await page();
  await eventually(async () => {
    await page();
    return seen.length >= published.length ? true : undefined;
  }, "every event paged");
  t.is(new Set(seen).size, seen.length, "no event twice");
  t.deepEqual([...seen].sort(), [...published].sort());
});
