// Rate limits through two gateways: an org's plan holds across replicas, every publish says where it stands, and keys cannot be guessed.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { apiClient, request } from "../helpers/api-client.js";
import { newKey } from "../helpers/routes.js";
import { type Stack, startStack } from "../helpers/stack.js";
import type { ServiceProcess } from "../helpers/throwaway.js";

let stack: Stack;
let second: ServiceProcess;

test.before(async () => {
  stack = await startStack({ env: { AUTH_FAILURES_PER_MINUTE: "10" } });
  // Behind a proxy on loopback, so that each test can come from addresses of its own.
  second = await stack.startGateway({ TRUSTED_PROXIES: "127.0.0.0/8,::1" });
});

test.after.always(async () => {
  await stack?.stop();
});

const custom = (eventsPerMinute: number) => ({ plan: "custom", events_per_minute: eventsPerMinute });

test("rate limits - two gateways together accept no more than the org's plan allows", async (t) => {
  const perMinute = 120;
  const { key } = await stack.createOrg(undefined, custom(perMinute));
  const started = Date.now();
  // 600 events asked for, half through each gateway, in batches of 5 and single events, all at once.
  const calls = [stack.gatewayUrl, second.url].flatMap((url) =>
    Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? request(url, "/v1/events/batch", { key, body: { events: Array.from({ length: 5 }, () => ({ type: "load.tested" })) } }).then(
            (res) => ({ status: res.status, events: res.status === 200 ? 5 : 0 }),
          )
        : request(url, "/v1/events", { key, body: { type: "load.tested" } }).then((res) => ({
            status: res.status,
            events: res.status === 200 ? 1 : 0,
          })),
    ),
  );
  const results = await Promise.all(calls);
  const seconds = (Date.now() - started) / 1000;
  const accepted = results.reduce((sum, { events }) => sum + events, 0);
  t.deepEqual([...new Set(results.map(({ status }) => status))].sort(), [200, 429]);
  // The bucket is shared: what both accepted is at most its size plus its refill while the test ran.
  t.true(accepted <= perMinute + Math.ceil((seconds * perMinute) / 60), `${accepted} events accepted in ${seconds} s`);
  t.true(accepted >= perMinute - 10, `${accepted} events accepted: the plan's allowance was nearly all used`);
});

test("rate limits - every publish answer carries the limit, what remains and when it is full again; a 429 says when to retry", async (t) => {
  const { key } = await stack.createOrg(undefined, custom(60));
  const api = apiClient(stack.gatewayUrl, key);
  const first = await api.post("/v1/events", { type: "order.created" });
  t.is(first.status, 200);
  t.is(first.headers.get("ratelimit-limit"), "60");
  t.is(Number(first.headers.get("ratelimit-remaining")), 59);
  t.true(Number(first.headers.get("ratelimit-reset")) >= 1);
  const batch = await api.post("/v1/events/batch", { events: Array.from({ length: 59 }, () => ({ type: "order.created" })) });
  t.is(batch.status, 200);
  t.is(batch.headers.get("ratelimit-remaining"), "0");
  // Ten events, not one: a token refills every second, and a loaded machine may take that long between the calls.
  const refused = await api.post("/v1/events/batch", { events: Array.from({ length: 10 }, () => ({ type: "order.created" })) });
  t.is(refused.status, 429);
  t.is(refused.body.code, "resource_exhausted");
  t.is(refused.body.details[0].reason, "ERROR_REASON_RATE_LIMITED");
  t.true(Number(refused.headers.get("retry-after")) >= 1);
  t.is(refused.headers.get("ratelimit-limit"), "60");
  t.true(Number(refused.headers.get("ratelimit-remaining")) < 10);
});

test("rate limits - a gRPC publish gets the same headers, and its 429 says when to retry", async (t) => {
  const { key } = await stack.createOrg(undefined, custom(3));
  const transport = createGrpcTransport({ baseUrl: stack.gatewayUrl });
  const ingest = createClient(IngestService, transport);
  const headers = new Headers();
  await ingest.publishEvents(
    { events: [{ type: "a" }, { type: "b" }] },
    {
      headers: { authorization: `Bearer ${key}` },
      onHeader: (received) =>
        received.forEach((value, name) => {
          headers.set(name, value);
        }),
    },
  );
  t.is(headers.get("ratelimit-limit"), "3");
  t.is(headers.get("ratelimit-remaining"), "1");
  const refused = await t.throwsAsync(
    ingest.publishEvents({ events: [{ type: "a" }, { type: "b" }] }, { headers: { authorization: `Bearer ${key}` } }),
  );
  const err = ConnectError.from(refused);
  t.is(err.code, Code.ResourceExhausted);
  t.true(Number(err.metadata.get("retry-after")) >= 1);
});

test("rate limits - a batch is counted in events, and one larger than the plan's minute is refused as too large", async (t) => {
  const { key } = await stack.createOrg(undefined, custom(10));
  const api = apiClient(stack.gatewayUrl, key);
  const tooBig = await api.post("/v1/events/batch", { events: Array.from({ length: 11 }, () => ({ type: "a" })) });
  t.is(tooBig.status, 413);
  const malformed = await api.post("/v1/events/batch", { events: ["not an event", { type: "a" }] });
  t.is(malformed.status, 200);
  t.is(malformed.headers.get("ratelimit-remaining"), "9", "an item that is not an event costs nothing");
  t.is((await api.post("/v1/events/batch", { events: Array.from({ length: 9 }, () => ({ type: "a" })) })).status, 200);
  t.is((await api.post("/v1/events/batch", { events: [{ type: "a" }] })).status, 429);
});

test("rate limits - a plan changed by the operator applies at once, at both gateways", async (t) => {
  const { key, orgId } = await stack.createOrg(undefined, { plan: "free" });
  const publish = (url: string) => request(url, "/v1/events", { key, body: { type: "a" } });
  t.is((await publish(second.url)).headers.get("ratelimit-limit"), "100");
  const changed = await request(stack.gatewayUrl, `/v1/orgs/${orgId}`, { method: "PATCH", key: stack.adminToken, body: { plan: "pro" } });
  t.like(changed.body.org, { plan: "pro", events_per_minute: 1000 });
  for (const url of [stack.gatewayUrl, second.url]) t.is((await publish(url)).headers.get("ratelimit-limit"), "1000");
  const refused = await request(stack.gatewayUrl, `/v1/orgs/${orgId}`, { method: "PATCH", key, body: { plan: "business" } });
  t.is(refused.status, 403);
  const operator = (path: string, body: unknown) => request(stack.gatewayUrl, path, { method: "PATCH", key: stack.adminToken, body });
  t.is((await operator(`/v1/orgs/${orgId}`, { plan: "gold" })).body.details[0].field, "plan");
  t.is((await operator(`/v1/orgs/${orgId}`, { plan: "custom" })).body.details[0].field, "events_per_minute");
  t.is((await operator(`/v1/orgs/${orgId}`, { plan: "pro", events_per_minute: 5 })).body.details[0].field, "events_per_minute");
  t.is((await operator(`/v1/orgs/${orgId}`, "{not json")).status, 400);
  t.is((await operator("/v1/orgs/0190a000-0000-7000-8000-000000000000", { plan: "pro" })).status, 404);
  t.is((await operator("/v1/orgs/not-an-id", { plan: "pro" })).body.details[0].field, "id");
});

// Serial: a plan changed meanwhile makes every gateway drop the verdicts it is still waiting for, the known key's too.
test.serial(
  "rate limits - an address that keeps failing to authenticate must wait, while other addresses and known keys go on",
  async (t) => {
    const { key } = await stack.createOrg();
    const from = (address: string) => ({ "x-forwarded-for": address });
    t.is((await request(second.url, "/v1/inbox", { key, headers: from("198.51.100.1") })).status, 200);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await request(second.url, "/v1/inbox", { key: newKey(), headers: from("198.51.100.1") })).status);
    t.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
    t.deepEqual(statuses.slice(10), [429, 429]);
    const blocked = await request(second.url, "/v1/inbox", { key: newKey(), headers: from("198.51.100.1") });
    t.true(Number(blocked.headers.get("retry-after")) >= 1);
    t.is(blocked.body.details[0].reason, "ERROR_REASON_RATE_LIMITED");
    t.is((await request(second.url, "/v1/inbox", { key, headers: from("198.51.100.1") })).status, 200, "a key known good still works");
    t.is((await request(second.url, "/v1/inbox", { key: newKey(), headers: from("198.51.100.2") })).status, 401);
  },
);
