// The gateway's publishing routes on their own: body, CloudEvents, idempotency key, rules and quota, then the write, in memory.
import { PassThrough } from "node:stream";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { IngestService } from "../../../gen/triggers/v1/ingest_pb.js";
import type { Admission } from "../../../services/gateway/admission.js";
import { restPublishing } from "../../../services/gateway/events/rest-publishing.js";
import type { RestCall } from "../../../services/gateway/rest-routes.js";
import type { Caller } from "../../../services/shared/authenticate.js";
import { type InvalidField, RateLimited } from "../../../services/shared/domain-errors.js";
import { createLogger } from "../../../services/shared/logger.js";
import { EventIntake } from "../../../services/shared/publishing/event-intake.js";
import type { Quota } from "../../../services/shared/quota.js";
import type { HttpRequest } from "../../../services/shared/request-body.js";
import { MemoryPublisher } from "../../shared/publishing/memory-publisher.js";

const quota: Quota = { limit: 100, remaining: 99, resetSeconds: 1 };

/** The routes over an in-memory stream, with an allowance of `allowance` events; records what was charged. */
function routes(allowance = Number.POSITIVE_INFINITY) {
  const publisher = new MemoryPublisher();
  const charged: number[] = [];
  const admission = {
    async charge(_caller: Caller, events: number) {
      if (events > allowance) throw new RateLimited("the org's plan allows no more events now", 30, quota);
      charged.push(events);
      return quota;
    },
  } as unknown as Admission;
  const servers = restPublishing({
    intake: new EventIntake(publisher, createLogger("rest-publishing-test", "silent")),
    admission,
    maxBodyBytes: 64 * 1024,
    maxBatchBodyBytes: 256 * 1024,
  });
  const orgId = uuidv7();
  const quotas: Quota[] = [];
  const call = (method: "single" | "batch", body: unknown, headers: Record<string, string> = {}, query = "") => {
    const req = Object.assign(new PassThrough(), { headers: { "content-type": "application/json", ...headers } });
    req.end(typeof body === "string" ? body : JSON.stringify(body));
    const restCall: RestCall = {
      req: req as unknown as HttpRequest,
      header: (name) => req.headers[name as keyof typeof req.headers],
      query: new URLSearchParams(query),
      caller: { orgId, keyId: "key-1", scopes: ["publish"] } as unknown as Caller,
      onQuota: (q) => quotas.push(q),
      res: undefined as never,
      message: () => {
        throw new Error("the publishing routes read their body, not a message of the path and query");
      },
    };
    const server = servers.get(method === "single" ? IngestService.method.publishEvent : IngestService.method.publishEvents)!;
    return server(restCall).then((text) => JSON.parse(text!));
  };
  return { call, publisher, charged, quotas, orgId };
}

test("rest publishing - an event is charged, written under the caller's org with its data as sent, and answered", async (t) => {
  const { call, publisher, charged, quotas, orgId } = routes();
  const answer = await call("single", { type: "order.created", data: { n: 1 } });
  t.like(answer, { status: "EVENT_STATUS_ACCEPTED", duplicate: false });
  t.like(publisher.published, [{ orgId, event: { data: '{"n":1}', event: { id: answer.id, type: "order.created" } } }]);
  t.deepEqual(charged, [1]);
  t.deepEqual(quotas, [quota]);
});

test("rest publishing - a structured CloudEvent becomes an event whose idempotency key is its source and id", async (t) => {
  const { call, publisher } = routes();
  const cloudEvent = { specversion: "1.0", id: "e-1", source: "/shop", type: "order.created", data: { n: 1 } };
  await call("single", cloudEvent, { "content-type": "application/cloudevents+json" });
  t.like(publisher.published[0]?.event, { data: '{"n":1}', event: { type: "order.created", source: "/shop" } });
  t.regex(publisher.published[0]!.event.idempotency!.key, /^ce:/);
});

test("rest publishing - an Idempotency-Key header becomes the event's key", async (t) => {
  const { call, publisher } = routes();
  await call("single", { type: "a" }, { "idempotency-key": "order-7" });
  t.is(publisher.published[0]?.event.idempotency?.key, "order-7");
});

test("rest publishing - an event the rules refuse is neither charged nor written", async (t) => {
  const { call, publisher, charged } = routes();
  const refused = await t.throwsAsync(call("single", { type: "triggers.delivery.exhausted" }));
  t.is((refused as InvalidField).field, "type");
  t.deepEqual(publisher.published, []);
  t.deepEqual(charged, []);
});

test("rest publishing - an org over its allowance is refused and nothing is written", async (t) => {
  const { call, publisher } = routes(0);
  await t.throwsAsync(call("single", { type: "a" }), { instanceOf: RateLimited });
  t.deepEqual(publisher.published, []);
});

test("rest publishing - a batch answers each event in its place; only the valid ones are charged and written", async (t) => {
  const { call, publisher, charged } = routes();
  const { results } = await call("batch", { events: [{ type: "a.one" }, "not an event", { type: "bad type" }, { type: "a.two" }] });
  t.deepEqual(
    results.map((result: object) => Object.keys(result)[0]),
    ["accepted", "error", "error", "accepted"],
  );
  t.like(results[1], { error: { code: "invalid_argument", info: { field: "events[1]" } } });
  t.like(results[2], { error: { info: { field: "events[2].type" } } });
  t.deepEqual(
    publisher.published.map(({ event }) => event.event.type),
    ["a.one", "a.two"],
  );
  t.deepEqual(charged, [2]);
});

test("rest publishing - data nested thousands of levels deep is refused naming data, alone and in its place in a batch", async (t) => {
  // A property found 4,105 levels, some 25 KiB, overflowing the stack where the data is written back as text: a 500.
  const levels = 10_000;
  const deep = `${'{"n":'.repeat(levels)}{}${"}".repeat(levels)}`;
  const { call, publisher } = routes();
  const refused = await t.throwsAsync(call("single", `{"type":"a","data":${deep}}`));
  t.is((refused as InvalidField).field, "data");
  const { results } = await call("batch", `{"events":[{"type":"a.one"},{"type":"a","data":${deep}}]}`);
  t.like(results[1], { error: { code: "invalid_argument", info: { field: "events[1].data" } } });
  t.deepEqual(
    publisher.published.map(({ event }) => event.event.type),
    ["a.one"],
  );
});

test("rest publishing - query parameters, a body that is not JSON, and an empty batch are refused, and nothing is written", async (t) => {
  const { call, publisher } = routes();
  t.is(((await t.throwsAsync(call("single", { type: "a" }, {}, "type=b"))) as InvalidField).field, "type");
  await t.throwsAsync(call("single", "{not json"), { message: /not valid JSON/ });
  t.is(((await t.throwsAsync(call("batch", { events: [] }))) as InvalidField).field, "events");
  t.deepEqual(publisher.published, []);
});
