// Publishing through the running stack as an integration does in production: idempotent retries, batches, CloudEvents
// (sent with the cloudevents SDK), and what is refused.
import test from "ava";
import { CloudEvent, HTTP, type Message } from "cloudevents";
import { type ApiClient, apiClient, request, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
// Small enough that the client has sent the whole body when the gateway answers 413: fetch fails on a cut-off upload.
const maxBatchBodyBytes = 512 * 1024;

test.before(async () => {
  stack = await startStack({ env: { MAX_BATCH_BODY_BYTES: String(maxBatchBodyBytes) } });
});

test.after.always(async () => {
  await stack?.stop();
});

async function newOrg(): Promise<ApiClient> {
  return apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
}

/** The org's inbox once an event published now has reached it: whatever was accepted before is there too. */
async function settledInbox(api: ApiClient) {
  const marker = await api.post("/v1/events", { type: "marker" });
  return eventually(async () => {
    const events = await wholeInbox(api);
    return events.some((e) => e.id === marker.body.id) ? events.filter((e) => e.id !== marker.body.id) : undefined;
  }, "the marker event in the inbox");
}

test("ingestion - 20 concurrent posts with one Idempotency-Key store one event, and every answer names it", async (t) => {
  const api = await newOrg();
  const headers = { "idempotency-key": "order-42-created" };
  const replies = await Promise.all(
    Array.from({ length: 20 }, () => api.post("/v1/events", { type: "order.created", data: { order: 42 } }, headers)),
  );
  t.deepEqual(new Set(replies.map((reply) => reply.status)), new Set([200]));
  const ids = new Set(replies.map((reply) => reply.body.id));
  t.is(ids.size, 1);
  t.is(replies.filter((reply) => reply.body.duplicate === false).length, 1);
  t.deepEqual(
    (await settledInbox(api)).map((e) => e.id),
    [...ids],
  );
});

test("ingestion - a retry answers the stored event's id and received_at with duplicate true, whichever way the key came", async (t) => {
  const api = await newOrg();
  const event = { type: "invoice.paid", source: "billing", data: { invoice: "in_1" }, occurred_at: "2026-11-30T10:00:00Z" };
  const first = await api.post("/v1/events", event, { "idempotency-key": "in_1" });
  t.like(first.body, { status: "EVENT_STATUS_ACCEPTED", duplicate: false });
  for (const retry of [
    api.post("/v1/events", event, { "idempotency-key": "in_1" }),
    api.post("/v1/events", { ...event, idempotency_key: "in_1" }),
    api.post("/v1/events", { ...event, dedup_id: "in_1" }),
    api.post("/triggers.v1.IngestService/PublishEvent", { event: { ...event, idempotency_key: "in_1" } }),
  ]) {
    const reply = await retry;
    t.is(reply.status, 200);
    t.like(reply.body, { id: first.body.id, received_at: first.body.received_at, duplicate: true });
  }
  t.is((await settledInbox(api)).length, 1);
});

test("ingestion - a key reused for a different event is 422 and stores nothing", async (t) => {
  const api = await newOrg();
  await api.post("/v1/events", { type: "order.created", data: { order: 1 } }, { "idempotency-key": "k-1" });
  const reused = await api.post("/v1/events", { type: "order.created", data: { order: 2 } }, { "idempotency-key": "k-1" });
  t.is(reused.status, 422);
  t.is(reused.body.code, "failed_precondition");
  t.deepEqual(reused.body.details, [{ reason: "ERROR_REASON_IDEMPOTENCY_KEY_REUSED", field: "idempotency_key" }]);
  t.deepEqual(
    (await settledInbox(api)).map((e) => e.data),
    [{ order: 1 }],
  );
});

test("ingestion - idempotency keys are the org's own: another org's same key makes its own event", async (t) => {
  const [mine, theirs] = [await newOrg(), await newOrg()];
  const event = { type: "order.created" };
  const a = await mine.post("/v1/events", event, { "idempotency-key": "shared" });
  const b = await theirs.post("/v1/events", event, { "idempotency-key": "shared" });
  t.false(b.body.duplicate);
  t.not(b.body.id, a.body.id);
  t.is((await mine.get(`/v1/events/${b.body.id}`)).status, 404);
});

test("ingestion - a batch answers each event in order: accepted, duplicate or invalid, and stores the valid ones", async (t) => {
  const api = await newOrg();
  const reply = await api.post("/v1/events/batch", {
    events: [
      { type: "batch.one", idempotency_key: "b-1" },
      { type: "not valid" },
      { type: "batch.two", colour: "red" },
      { type: "batch.one", dedup_id: "b-1" },
      "not an object",
      { type: "batch.three", data: { n: 3 } },
    ],
  });
  t.is(reply.status, 200);
  const [one, badType, unknownField, repeat, notObject, three] = reply.body.results;
  t.like(one.accepted, { duplicate: false, status: "EVENT_STATUS_ACCEPTED" });
  t.like(badType.error, { code: "invalid_argument", info: { field: "events[1].type", reason: "ERROR_REASON_INVALID_FIELD" } });
  t.like(unknownField.error, { code: "invalid_argument", info: { field: "events[2].colour" } });
  t.like(repeat.accepted, { id: one.accepted.id, duplicate: true });
  t.like(notObject.error, { code: "invalid_argument", info: { field: "events[4]" } });
  t.like(three.accepted, { duplicate: false });
  t.deepEqual((await settledInbox(api)).map((e) => e.type).sort(), ["batch.one", "batch.three"]);
});

test("ingestion - a batch refused whole says why and stores nothing", async (t) => {
  const api = await newOrg();
  const tooMany = Array.from({ length: 1001 }, () => ({ type: "t" }));
  const cases = [
    { reply: await api.post("/v1/events/batch", { events: [] }), status: 400, field: "events" },
    {
      reply: await apiClient(stack.gatewayUrl).post("/v1/events/batch", { events: [{ type: "bad type" }] }),
      status: 401,
      field: undefined,
    },
    { reply: await api.post("/v1/events/batch", { events: tooMany }), status: 400, field: "events" },
    { reply: await api.post("/v1/events/batch", { events: [{ type: "t" }], extra: 1 }), status: 400, field: "extra" },
    { reply: await api.post("/v1/events/batch", [{ type: "t" }]), status: 400, field: "" },
    { reply: await api.post("/v1/events/batch?x=1", { events: [{ type: "t" }] }), status: 400, field: "x" },
    {
      reply: await api.post("/v1/events/batch", { events: [{ type: "t" }] }, { "idempotency-key": "k" }),
      status: 400,
      field: "idempotency-key",
    },
    {
      reply: await api.post("/v1/events/batch", { events: [{ type: "t", data: { blob: "x".repeat(maxBatchBodyBytes) } }] }),
      status: 413,
      field: "",
    },
  ];
  for (const { reply, status, field } of cases) {
    t.is(reply.status, status, JSON.stringify(reply.body));
    t.is(reply.body.details?.[0]?.field, field);
  }
  t.deepEqual(await settledInbox(api), []);
});

test("ingestion - each kind of bad event gets its own clear 4xx naming the field, and nothing is stored", async (t) => {
  const api = await newOrg();
  const deep = JSON.parse(`${'{"a":'.repeat(40)}1${"}".repeat(40)}`);
  const cases = [
    { reply: await api.post("/v1/events", ""), status: 400, field: "" },
    { reply: await api.post("/v1/events", { type: "t".repeat(129) }), status: 400, field: "type" },
    { reply: await api.post("/v1/events", { type: "order/created" }), status: 400, field: "type" },
    { reply: await api.post("/v1/events", { type: "t", data: deep }), status: 400, field: "data" },
    { reply: await api.post("/v1/events", { type: "t", colour: "red" }), status: 400, field: "colour" },
    { reply: await api.post("/v1/events", { type: "t", idempotency_key: "" }), status: 400, field: "idempotency_key" },
    { reply: await api.post("/v1/events", { type: "t", idempotency_key: "k".repeat(256) }), status: 400, field: "idempotency_key" },
    { reply: await api.post("/v1/events", { type: "t", idempotency_key: "a", dedup_id: "b" }), status: 400, field: "idempotency_key" },
    { reply: await api.post("/v1/events", { type: "t", occurred_at: "2026-13-01T00:00:00Z" }), status: 400, field: "occurred_at" },
    { reply: await api.post("/v1/events", "type=t", { "content-type": "text/plain" }), status: 415, field: undefined },
  ];
  for (const { reply, status, field } of cases) {
    t.is(reply.status, status, JSON.stringify(reply.body));
    t.is(reply.body.details?.[0]?.field, field, JSON.stringify(reply.body));
  }
  t.deepEqual(await settledInbox(api), []);
});

test("ingestion - types may use letters, digits and . _ : -", async (t) => {
  const api = await newOrg();
  const reply = await api.post("/v1/events", { type: "shop:order.created_v2-eu" });
  t.is(reply.status, 200);
});

test("ingestion - CloudEvents in structured and binary mode become events, and id with source is their idempotency key", async (t) => {
  const { key } = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, key);
  const cloudEvent = new CloudEvent({
    specversion: "1.0",
    id: "evt-1",
    source: "https://shop.example/orders",
    type: "com.example.order.created",
    time: "2026-11-30T10:00:00.000Z",
    datacontenttype: "application/json",
    data: { order: 7 },
  });
  const send = (message: Message) =>
    request(stack.gatewayUrl, "/v1/events", { key, headers: message.headers as Record<string, string>, body: message.body as string });
  const structured = await send(HTTP.structured(cloudEvent));
  t.is(structured.status, 200, JSON.stringify(structured.body));
  t.false(structured.body.duplicate);
  const binary = await send(HTTP.binary(cloudEvent));
  t.like(binary.body, { id: structured.body.id, duplicate: true });
  const other = await send(HTTP.binary(cloudEvent.cloneWith({ id: "evt-2", data: { order: 8 } })));
  t.false(other.body.duplicate);
  const stored = await api.get(`/v1/events/${structured.body.id}`);
  t.like(stored.body.event, {
    type: "com.example.order.created",
    source: "https://shop.example/orders",
    occurred_at: "2026-11-30T10:00:00Z",
    data: { order: 7 },
  });
  t.deepEqual(
    (await settledInbox(api)).map((e) => e.data),
    [{ order: 7 }, { order: 8 }],
  );
});

test("ingestion - a CloudEvents batch answers each event in order, and a malformed one fails alone", async (t) => {
  const { key } = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, key);
  const base = { specversion: "1.0", source: "/crm", type: "contact.created" };
  // Sent twice as it is, as a retry would: a new CloudEvent would get a new time, and be another event.
  const contact = new CloudEvent({ ...base, id: "c-1", data: { n: 1 } }).toJSON();
  const reply = await request(stack.gatewayUrl, "/v1/events/batch", {
    key,
    headers: { "content-type": "application/cloudevents-batch+json" },
    body: [
      contact,
      { ...base, id: "c-2", specversion: "0.3" },
      { ...base, id: "c-3", datacontenttype: "text/plain", data: "hello" },
      { ...base, id: "c-4", data_base64: "aGVsbG8=" },
      { ...base, source: undefined, id: "c-5" },
      contact,
    ],
  });
  t.is(reply.status, 200, JSON.stringify(reply.body));
  const [first, oldVersion, textData, binaryData, noSource, repeat] = reply.body.results;
  t.like(first.accepted, { duplicate: false });
  t.like(oldVersion.error, { info: { field: "events[1].specversion" } });
  t.like(textData.error, { info: { field: "events[2].datacontenttype" } });
  t.like(binaryData.error, { info: { field: "events[3].data_base64" } });
  t.like(noSource.error, { info: { field: "events[4].source" } });
  t.like(repeat.accepted, { id: first.accepted.id, duplicate: true });
  t.deepEqual(
    (await settledInbox(api)).map((e) => e.data),
    [{ n: 1 }],
  );
});

test("ingestion - CloudEvents sent to the wrong endpoint, or binary mode without its attributes, are refused", async (t) => {
  const { key } = await stack.createOrg();
  const cases = [
    {
      reply: await request(stack.gatewayUrl, "/v1/events", {
        key,
        headers: { "content-type": "application/cloudevents-batch+json" },
        body: [],
      }),
      status: 415,
    },
    {
      reply: await request(stack.gatewayUrl, "/v1/events", { key, headers: { "ce-specversion": "1.0", "ce-type": "t" }, body: {} }),
      status: 400,
      field: "ce-id",
    },
    {
      reply: await request(stack.gatewayUrl, "/v1/events/batch", {
        key,
        headers: { "content-type": "application/cloudevents+json" },
        body: { specversion: "1.0", id: "1", source: "s", type: "t" },
      }),
      status: 415,
    },
  ];
  for (const { reply, status, field } of cases) {
    t.is(reply.status, status, JSON.stringify(reply.body));
    t.is(reply.body.details?.[0]?.field, field);
  }
});

test("ingestion - Connect JSON callers are held to the same rules: unknown fields and invalid UTF-8 are refused, nothing stored", async (t) => {
  const { key } = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, key);
  const invalidUtf8 = Buffer.concat([Buffer.from('{"event":{"type":"t","source":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
  for (const [baseUrl, what] of [
    [stack.gatewayUrl, "the gateway"],
    [stack.urls.ingest, "ingest itself"],
    [stack.urls.inbox, "the inbox"],
  ] as const) {
    const path = baseUrl === stack.urls.inbox ? "/triggers.v1.InboxService/ListInbox" : "/triggers.v1.IngestService/PublishEvent";
    const unknown = await request(baseUrl, path, {
      key,
      body: baseUrl === stack.urls.inbox ? { colour: "red" } : { event: { type: "t", colour: "red" } },
    });
    t.is(unknown.status, 400, `${what}: ${JSON.stringify(unknown.body)}`);
    t.is(unknown.body.code, "invalid_argument");
    const res = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: invalidUtf8,
    });
    t.is(res.status, 400, what);
  }
  t.deepEqual(await settledInbox(api), []);
});
