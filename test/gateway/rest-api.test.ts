// The gateway's REST API against the real auth service and recording doubles of the other backends.
import { randomUUID } from "node:crypto";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import anyTest, { type TestFn } from "ava";
import { REQUEST_ID_HEADER } from "../../services/shared/request-context.js";
import { freePort } from "../../tools/stack/ports.js";
import { createOrg, request } from "../helpers/api-client.js";
import { newKey } from "../helpers/routes.js";
import { HANGING_ID, MISSING_ID } from "./backend-doubles.js";
import { type GatewayStack, startGatewayStack } from "./gateway-stack.js";

const test = anyTest as TestFn<GatewayStack>;
const maxBodyBytes = 64 * 1024;

test.before(async (t) => {
  t.context = await startGatewayStack({ MAX_BODY_BYTES: String(maxBodyBytes), LOG_LEVEL: "debug" });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

test("gateway - creating an org with the admin token returns its key, which then opens the API", async (t) => {
  const { gateway, adminToken } = t.context;
  const created = await request(gateway.url, "/v1/orgs", { key: adminToken, body: { name: "acme" } });
  t.is(created.status, 200);
  t.is(created.body.org.name, "acme");
  t.regex(created.body.api_key.secret, /^tk_/);
  t.truthy(created.body.api_key.created_at, "responses use proto field names");
  const inbox = await request(gateway.url, "/v1/inbox", { key: created.body.api_key.secret });
  t.is(inbox.status, 200);
});

test("gateway - a new key shows its secret, and a listed key has no secret field at all", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const made = await request(gateway.url, "/v1/keys", { key, body: { name: "shop backend", scopes: ["events:write"] } });
  t.regex(made.body.api_key.secret, /^tk_/);
  const listed = await request(gateway.url, "/v1/keys", { key });
  t.is(listed.status, 200);
  t.deepEqual(listed.body.api_keys.map((each: { name: string }) => each.name).sort(), ["first key", "shop backend"]);
  for (const each of listed.body.api_keys) t.false("secret" in each, JSON.stringify(each));
});

test("gateway - creating an org without the admin token is 403", async (t) => {
  const res = await request(t.context.gateway.url, "/v1/orgs", { body: { name: "acme" } });
  t.is(res.status, 403);
  t.is(res.body.code, "permission_denied");
});

test("gateway - a request without a key gets 401 and never reaches the backend", async (t) => {
  const requestId = randomUUID();
  const res = await request(t.context.gateway.url, "/v1/inbox", { headers: { [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 401);
  t.is(res.body.code, "unauthenticated");
  t.deepEqual(t.context.doubles.callsOf(requestId), []);
});

test("gateway - an unknown key gets 401 and never reaches the backend", async (t) => {
  const requestId = randomUUID();
  const key = newKey();
  const res = await request(t.context.gateway.url, "/v1/inbox", { key, headers: { [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 401);
  t.is(res.body.code, "unauthenticated");
  t.deepEqual(t.context.doubles.callsOf(requestId), []);
});

test("gateway - X-API-Key is accepted and forwarded as Authorization: Bearer", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  const res = await request(gateway.url, "/v1/subscriptions", { headers: { "x-api-key": key, [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 200);
  const [call] = doubles.callsOf(requestId);
  t.is(call?.authorization, `Bearer ${key}`);
  t.is(call?.apiKeyHeader, null);
});

test("gateway - the request id is echoed, reaches the backend and stamps the access line, which holds no key", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = `test-${randomUUID()}`;
  const res = await request(gateway.url, "/v1/inbox?limit=10&cursor=c1", { key, headers: { [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 200);
  t.is(res.headers.get(REQUEST_ID_HEADER), requestId);
  t.like(doubles.callsOf(requestId)[0], { method: "ListInbox", request: { limit: 10, cursor: "c1" } });
  const logged = JSON.parse(await gateway.line((line) => line.includes(requestId) && line.includes('"route"')));
  t.like(logged, { request_id: requestId, verb: "GET", route: "/v1/inbox", status: 200 });
  t.false(gateway.lines.some((line) => line.includes(key)));
});

test("gateway - an unacceptable request id is replaced by one of the gateway's", async (t) => {
  const res = await request(t.context.gateway.url, "/v1/inbox", { headers: { [REQUEST_ID_HEADER]: "bad id with spaces" } });
  t.regex(res.headers.get(REQUEST_ID_HEADER) ?? "", /^[0-9a-f-]{36}$/);
  t.is(res.body.request_id, res.headers.get(REQUEST_ID_HEADER));
});

test("gateway - list, get and ack events map paths, queries and response bodies", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const list = await request(gateway.url, "/v1/inbox?limit=5", { key });
  t.like(list.body, { events: [{ id: "ev-1", type: "order.created", data: { order: 7 } }], next_cursor: "cursor-2" });
  const event = await request(gateway.url, "/v1/events/ev-9", { key });
  t.like(event.body.event, { id: "ev-9", type: "order.created" });
  t.truthy(event.body.event.received_at);
  const acked = await request(gateway.url, "/v1/events/ev-9/ack", { key, method: "POST" });
  t.is(acked.status, 200);
  t.truthy(acked.body.acked_at);
});

test("gateway - a published event is written to the stream under the caller's org, its data as sent and its request id", async (t) => {
  const { gateway, adminToken, storedEvents } = t.context;
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  const body = { type: "order.created", data: { order: 1, items: ["a"] }, occurred_at: "2026-01-02T03:04:05Z" };
  const res = await request(gateway.url, "/v1/events", { key, body, headers: { [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 200);
  t.like(res.body, { status: "EVENT_STATUS_ACCEPTED", duplicate: false });
  const [stored] = await storedEvents(orgId);
  t.like(stored, { data: '{"order":1,"items":["a"]}', requestId, event: { id: res.body.id, type: "order.created" } });
  t.is(timestampDate(stored!.event.occurredAt!).toISOString(), "2026-01-02T03:04:05.000Z");
  t.is(timestampDate(stored!.event.receivedAt!).toISOString(), res.body.received_at);
});

test("gateway - subscriptions are created, listed, read and deleted over REST", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const created = await request(gateway.url, "/v1/subscriptions", { key, body: { url: "https://example.test/a", event_types: ["a"] } });
  t.like(created.body, { id: "sub-1", url: "https://example.test/a", event_types: ["a"] });
  t.is((await request(gateway.url, "/v1/subscriptions", { key })).body.subscriptions.length, 1);
  t.is((await request(gateway.url, "/v1/subscriptions/sub-7", { key })).body.id, "sub-7");
  const deleted = await request(gateway.url, "/v1/subscriptions/sub-7", { key, method: "DELETE" });
  t.deepEqual([deleted.status, deleted.body], [200, {}]);
  t.deepEqual((await request(gateway.url, "/v1/events/ev-1/attempts", { key })).body, { attempts: [] });
});

test("gateway - malformed JSON is 400", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, "/v1/events", { key, body: '{"type": "a",' });
  t.is(res.status, 400);
  t.is(res.body.code, "invalid_argument");
  t.regex(res.body.message, /not valid JSON/);
});

test("gateway - a body that is not valid UTF-8 is 400, never stored altered, and never reaches the backend", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  // A lone continuation byte inside a JSON string: a lenient decoder would turn it into U+FFFD.
  const body = Buffer.concat([Buffer.from('{"type":"a","data":{"name":"'), Buffer.from([0x80]), Buffer.from('"}}')]);
  const res = await fetch(`${gateway.url}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", [REQUEST_ID_HEADER]: requestId },
    body,
  });
  t.is(res.status, 400);
  const error = (await res.json()) as { code: string; message: string };
  t.like(error, { code: "invalid_argument", message: "the request body is not valid UTF-8" });
  t.deepEqual(doubles.callsOf(requestId), []);
});

test("gateway - a field of the wrong type is 400 with details naming it", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, "/v1/events", { key, body: { type: 42 } });
  t.is(res.status, 400);
  t.is(res.body.code, "invalid_argument");
  t.deepEqual(res.body.details, [{ reason: "ERROR_REASON_INVALID_FIELD", field: "type" }]);
  const unknown = await request(gateway.url, "/v1/inbox?colour=red", { key });
  t.deepEqual(unknown.body.details, [{ reason: "ERROR_REASON_INVALID_FIELD", field: "colour" }]);
});

test("gateway - a body that is not JSON by content type is 415", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, "/v1/events", {
    key,
    body: "type=a",
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  t.is(res.status, 415);
  t.is(res.body.code, "invalid_argument");
});

test("gateway - a gzip or br body is published as the JSON it holds", async (t) => {
  const { gateway, adminToken, storedEvents } = t.context;
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const json = Buffer.from(JSON.stringify({ type: "order.created", data: { order: 7 } }));
  for (const [encoding, body] of [
    ["gzip", gzipSync(json)],
    ["br", brotliCompressSync(json)],
  ] as const) {
    const res = await fetch(`${gateway.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-encoding": encoding },
      body,
    });
    t.is(res.status, 200, encoding);
  }
  t.deepEqual(
    (await storedEvents(orgId)).map((stored) => stored.data),
    ['{"order":7}', '{"order":7}'],
  );
});

test("gateway - JSON labelled gzip is 400 and stores nothing", async (t) => {
  const { gateway, adminToken, storedEvents } = t.context;
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, "/v1/events", { key, body: { type: "order.created" }, headers: { "content-encoding": "gzip" } });
  t.is(res.status, 400);
  t.like(res.body, { code: "invalid_argument", message: "the request body is not valid gzip" });
  t.deepEqual(await storedEvents(orgId), []);
});

test("gateway - a body compressed other than with gzip or br is 415 naming those, without reaching the backend", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  const res = await fetch(`${gateway.url}/v1/subscriptions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "content-encoding": "deflate",
      [REQUEST_ID_HEADER]: requestId,
    },
    body: deflateSync(JSON.stringify({ url: "https://example.test/a", event_types: ["a"] })),
  });
  t.is(res.status, 415);
  t.is(res.headers.get("accept-encoding"), "gzip, br");
  t.like(await res.json(), {
    code: "invalid_argument",
    message: 'unsupported content-encoding "deflate": send the body as it is, or compressed with gzip or br',
  });
  t.deepEqual(doubles.callsOf(requestId), []);
});

test("gateway - a gzip body that inflates past the limit is 413, however small it was sent", async (t) => {
  const { gateway, adminToken, storedEvents } = t.context;
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const body = gzipSync(`{"type":"big","data":{"blob":"${"x".repeat(100 * maxBodyBytes)}"}}`);
  t.true(body.length < maxBodyBytes / 4);
  const res = await fetch(`${gateway.url}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-encoding": "gzip" },
    body,
  });
  t.is(res.status, 413);
  t.is(((await res.json()) as { code: string }).code, "resource_exhausted");
  t.deepEqual(await storedEvents(orgId), []);
});

test("gateway - a body over the limit is 413 without reaching the backend", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  const body = { type: "big", data: { blob: "x".repeat(maxBodyBytes) } };
  const res = await request(gateway.url, "/v1/events", { key, body, headers: { [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 413);
  t.is(res.body.code, "resource_exhausted");
  t.deepEqual(doubles.callsOf(requestId), []);
});

test("gateway - a streamed body that grows over the limit is 413 without reaching the backend", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  const chunk = new TextEncoder().encode(`{"type":"big","data":{"blob":"${"x".repeat(maxBodyBytes)}"}}`);
  // A stream has no content-length: the gateway has to count what arrives.
  const body = new ReadableStream({
    start: (controller) => {
      controller.enqueue(chunk);
      controller.close();
    },
  });
  const res = await fetch(`${gateway.url}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", [REQUEST_ID_HEADER]: requestId },
    body,
    duplex: "half",
  } as RequestInit);
  t.is(res.status, 413);
  t.is((await res.json()).code, "resource_exhausted");
  t.deepEqual(doubles.callsOf(requestId), []);
});

test("gateway - data over 256 KiB is 413 naming the data, and nothing is stored", async (t) => {
  const { adminToken, storedEvents } = t.context;
  // This file's gateway reads bodies up to 64 KiB; this one takes what any gateway does by default.
  const gateway = await t.context.startGateway();
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, "/v1/events", { key, body: { type: "big", data: { text: "x".repeat(300 * 1024) } } });
  t.is(res.status, 413);
  t.is(res.body.code, "resource_exhausted");
  t.is(res.body.message, "data is larger than 256 KiB");
  t.deepEqual(res.body.details, [{ reason: "ERROR_REASON_TOO_LARGE", field: "data" }]);
  t.deepEqual(await storedEvents(orgId), []);
});

test("gateway - a backend's not_found is 404 with the backend's message and the request id", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, `/v1/events/${MISSING_ID}`, { key });
  t.is(res.status, 404);
  t.deepEqual(res.body, { code: "not_found", message: "event not found", request_id: res.headers.get(REQUEST_ID_HEADER) });
});

test("gateway - an unknown route is a JSON 404", async (t) => {
  const res = await request(t.context.gateway.url, "/v1/nothing-here");
  t.is(res.status, 404);
  t.is(res.body.code, "not_found");
  t.truthy(res.body.request_id);
});

test("gateway - a known path with the wrong verb is 405 naming the allowed verbs", async (t) => {
  const res = await request(t.context.gateway.url, "/v1/subscriptions/sub-1", { method: "PUT", body: {} });
  t.is(res.status, 405);
  t.is(res.headers.get("allow"), "GET, PATCH, DELETE");
  t.is(res.body.code, "unimplemented");
});

test("gateway - a backend that is down is 503", async (t) => {
  const { adminToken } = t.context;
  const gateway = await t.context.startGateway({ INBOX_URL: `http://127.0.0.1:${await freePort()}` });
  const { key } = await createOrg(gateway.url, adminToken);
  const res = await request(gateway.url, "/v1/inbox", { key });
  t.is(res.status, 503);
  t.is(res.body.code, "unavailable");
  t.notRegex(res.body.message, /127\.0\.0\.1|ECONNREFUSED/);
});

test("gateway - a backend that does not answer within BACKEND_TIMEOUT_MS is 504", async (t) => {
  const { adminToken } = t.context;
  // The org is made through the usual gateway: on a loaded machine, making one can itself outlast a short timeout.
  const { key } = await createOrg(t.context.gateway.url, adminToken);
  const gateway = await t.context.startGateway({ BACKEND_TIMEOUT_MS: "1000" });
  const res = await request(gateway.url, `/v1/events/${HANGING_ID}`, { key });
  t.is(res.status, 504);
  t.is(res.body.code, "deadline_exceeded");
});

test("gateway - concurrent publishes of one org share stream messages, and each gets its own answer and request id", async (t) => {
  const { gateway, adminToken, storedMessages } = t.context;
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const requestIds = Array.from({ length: 40 }, (): string => randomUUID());
  const replies = await Promise.all(
    requestIds.map((requestId, i) =>
      request(gateway.url, "/v1/events", {
        key,
        body: { type: i % 10 === 0 ? "not valid" : "batched", data: { i } },
        headers: { [REQUEST_ID_HEADER]: requestId },
      }),
    ),
  );
  for (const [i, reply] of replies.entries()) t.is(reply.status, i % 10 === 0 ? 400 : 200);
  t.like(replies[0]!.body.details, [{ field: "type" }], "the field is named as the caller knows it");
  const messages = await storedMessages(orgId);
  const stored = messages.flatMap((message) => message.events);
  const accepted = requestIds.filter((_, i) => i % 10 !== 0);
  t.deepEqual(
    stored.map((event) => event.requestId).sort(),
    [...accepted].sort(),
    "every valid event was stored once, with its own request id",
  );
  for (const event of stored) t.is(event.data, JSON.stringify({ i: requestIds.indexOf(event.requestId) }));
  for (const [i, reply] of replies.entries())
    if (reply.status === 200) t.is(stored.find((event) => event.requestId === requestIds[i])?.event.id, reply.body.id);
  t.true(messages.length < accepted.length, "events shared messages");
});
