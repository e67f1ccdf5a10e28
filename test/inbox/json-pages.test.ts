// ListInbox over Connect JSON, which Postgres renders, answers exactly what the Connect handler answers from the same rows.
import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import anyTest, { type TestFn } from "ava";
import { InboxService, ListInboxResponseSchema } from "../../gen/triggers/v1/inbox_pb.js";
import { apiJson } from "../../services/shared/json.js";
import { apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { newKey } from "../helpers/routes.js";
import { type Stack, startStack } from "../helpers/stack.js";

const test = anyTest as TestFn<{ stack: Stack; key: string; receiver: Receiver }>;

test.before(async (t) => {
  const stack = await startStack();
  const { key } = await stack.createOrg();
  // Paid orders are delivered, so that pages hold events with a delivery status and events without one.
  const receiver = await startReceiver();
  t.context = { stack, key, receiver };
  const api = apiClient(stack.gatewayUrl, key);
  await api.post("/v1/subscriptions", { url: receiver.url, event_types: ["order.paid"] });
  const events = [
    { type: "order.created", data: { n: 1, nested: { list: [1, "two", null, true, 2.5] }, text: 'naïve "quoted" ✓' } },
    { type: "order.paid", source: "shop", data: {}, occurred_at: "2026-01-02T03:04:05Z" },
    { type: "order.paid", data: { big: 12345678901234 }, occurred_at: "2026-01-02T03:04:05.123456Z" },
    { type: "user.created", data: { a: "b" } },
  ];
  for (const event of events) t.is((await api.post("/v1/events", event)).status, 200);
  const acked = await api.post("/v1/events", { type: "to.ack", data: {} });
  await eventually(async () => ((await api.post(`/v1/events/${acked.body.id}/ack`)).status === 200 ? true : undefined), "the ack");
  await eventually(async () => {
    const { events } = await connectPage(t.context, {});
    return events.length === 4 && events.filter((event) => event.deliveryStatus).length === 2 ? true : undefined;
  }, "the events in the inbox, the paid ones delivered");
});

test.after.always(async (t) => {
  await t.context.receiver?.close();
  await t.context.stack?.stop();
});

function connectPage({ stack, key }: { stack: Stack; key: string }, request: { limit?: number; cursor?: string }) {
  const transport = createConnectTransport({ baseUrl: stack.urls.inbox, httpVersion: "2", useBinaryFormat: true });
  return createClient(InboxService, transport).listInbox(request, { headers: { authorization: `Bearer ${key}` } });
}

async function jsonPage({ stack }: { stack: Stack }, body: unknown, key?: string) {
  const res = await fetch(`${stack.urls.inbox}/triggers.v1.InboxService/ListInbox`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

test("inbox JSON pages - every page, cursor included, equals what Connect answers from the same rows", async (t) => {
  let cursor = "";
  const sizes: number[] = [];
  do {
    const fromConnect = toJson(ListInboxResponseSchema, await connectPage(t.context, { limit: 3, cursor }), apiJson);
    const fromJson = await jsonPage(t.context, { limit: 3, cursor }, t.context.key);
    t.is(fromJson.status, 200);
    t.deepEqual(fromJson.body, fromConnect as Record<string, any>, `page ${sizes.length}`);
    sizes.push(fromJson.body.events.length);
    cursor = fromJson.body.next_cursor;
  } while (cursor && sizes.length < 5);
  t.deepEqual(sizes, [3, 1, 0], "a full page, then the rest, without the acknowledged event, then none yet");
});

test("inbox JSON pages - a bad limit or cursor is invalid_argument naming the field, as over Connect", async (t) => {
  for (const [body, field] of [
    [{ limit: 5000 }, "limit"],
    [{ cursor: "not-ours" }, "cursor"],
  ] as const) {
    const res = await jsonPage(t.context, body, t.context.key);
    t.is(res.status, 400);
    t.is(res.body.code, "invalid_argument");
    t.is(res.body.details?.[0]?.type, "triggers.v1.ErrorInfo");
    t.truthy(Buffer.from(res.body.details[0].value, "base64").includes(field));
  }
  const unknown = await jsonPage(t.context, { limit: 1, colour: "red" }, t.context.key);
  t.is(unknown.status, 400);
  t.is(unknown.body.code, "invalid_argument");
});

test("inbox JSON pages - no key or an unknown key is unauthenticated, and another org sees none of the events", async (t) => {
  t.is((await jsonPage(t.context, {})).status, 401);
  t.is((await jsonPage(t.context, {}, newKey())).status, 401);
  const other = await t.context.stack.createOrg();
  const res = await jsonPage(t.context, {}, other.key);
  t.deepEqual(res.body, { events: [], next_cursor: "", has_more: false });
});

test("inbox JSON pages - are written without spaces, as every other answer is, over Connect JSON and over REST", async (t) => {
  const { stack, key } = t.context;
  const authorization = `Bearer ${key}`;
  const answers = [
    await fetch(`${stack.urls.inbox}/triggers.v1.InboxService/ListInbox`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body: "{}",
    }),
    await fetch(`${stack.gatewayUrl}/v1/inbox`, { headers: { authorization } }),
  ];
  for (const answer of answers) {
    const text = await answer.text();
    t.is(answer.status, 200);
    t.true(text.includes('"type":"order.created"'), text);
    t.is(text, JSON.stringify(JSON.parse(text)), "no whitespace outside strings");
  }
});
