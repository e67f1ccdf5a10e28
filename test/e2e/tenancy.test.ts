// One org can never reach another's events, whatever it tries: every read and write answers 404 or nothing, never 403, never data.
import test from "ava";
import { type ApiClient, apiClient, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let a: ApiClient;
let b: ApiClient;
let theirs: string[];

test.before(async () => {
  stack = await startStack();
  [a, b] = [apiClient(stack.gatewayUrl, (await stack.createOrg()).key), apiClient(stack.gatewayUrl, (await stack.createOrg()).key)];
  theirs = [];
  for (const type of ["order.created", "order.paid", "user.created"]) {
    theirs.push((await b.post("/v1/events", { type, source: "shop", data: { secret: "b's data" } }, { "idempotency-key": type })).body.id);
  }
  await a.post("/v1/events", { type: "order.created", source: "shop" });
  await eventually(
    async () => ((await wholeInbox(b)).length === 3 && (await wholeInbox(a)).length === 1 ? true : undefined),
    "both inboxes",
  );
});

test.after.always(async () => {
  await stack?.stop();
});

/** Every event id an answer body holds, wherever it is. */
function idsIn(body: unknown): string[] {
  return JSON.stringify(body).match(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
}

test("tenancy - no listing of org A, with any filter, order, wait or lease, shows org B's events", async (t) => {
  for (const query of [
    "",
    "limit=1000",
    "order=desc",
    "type=order.*",
    "type=order.created",
    "source=shop",
    "status=acked",
    "status=delivered",
    "status=failed",
    `since=${new Date(Date.now() - 3_600_000).toISOString()}`,
    "wait=1",
    "lease=60",
  ]) {
    const reply = await a.get(`/v1/inbox?${query}`);
    t.is(reply.status, 200, query);
    t.false(JSON.stringify(reply.body).includes("b's data"), query);
    t.deepEqual(
      idsIn(reply.body.events).filter((id) => theirs.includes(id)),
      [],
      query,
    );
  }
  // A's lease took nothing of B's: B's own leasing consumer still gets every one of its events.
  t.deepEqual(
    (await b.get("/v1/inbox?lease=60")).body.events.map((e: { id: string }) => e.id),
    theirs,
  );
});

test("tenancy - org A cannot read, ack, delete or see the deliveries of org B's event: 404 or nothing, and B's event is untouched", async (t) => {
  const [id] = theirs;
  for (const reply of [await a.get(`/v1/events/${id}`), await a.post(`/v1/events/${id}/ack`), await a.delete(`/v1/events/${id}`)]) {
    t.is(reply.status, 404);
    t.is(reply.body.code, "not_found");
    t.false(JSON.stringify(reply.body).includes("b's data"));
  }
  const bulk = await a.post("/v1/inbox/ack", { ids: theirs });
  t.deepEqual(bulk.body, { acked: 0, already_acked: 0, unknown_ids: [...theirs].sort() });
  t.deepEqual((await a.get(`/v1/events/${id}/deliveries`)).body, { deliveries: [] });
  const own = await b.get(`/v1/events/${id}`);
  t.is(own.status, 200);
  t.is(own.body.event.acked_at, undefined);
  t.is((await wholeInbox(b)).length, 3);
});

test("tenancy - org A's idempotency keys, settings and subscriptions never touch org B's", async (t) => {
  const hook = await startReceiver();
  t.teardown(hook.close);
  await a.post("/v1/subscriptions", { url: hook.url });
  const repeated = await a.post(
    "/v1/events",
    { type: "order.paid", source: "shop", data: { mine: true } },
    { "idempotency-key": "order.paid" },
  );
  t.false(repeated.body.duplicate);
  t.false(theirs.includes(repeated.body.id));
  await a.patch("/v1/inbox/settings", { retention_days: 7 });
  t.deepEqual((await b.get("/v1/inbox/settings")).body, { retention_days: 30 });
  // A's subscription gets A's events only: one arrives, and it is A's.
  await eventually(async () => (hook.requests.length > 0 ? true : undefined), "A's delivery");
  t.deepEqual(
    hook.requests.map((request) => idsIn(request.body).filter((id) => theirs.includes(id))),
    hook.requests.map(() => []),
  );
});
