// The ingest service's routes in memory: what is published under which org, per-event results, and a stream that is down.
import { Code, createClient } from "@connectrpc/connect";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { EventStatus, IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { ingestRoutes } from "../../services/ingest/routes.js";
import { createLogger } from "../../services/shared/logger.js";
import { EventIntake } from "../../services/shared/publishing/event-intake.js";
import { REQUEST_ID_HEADER } from "../../services/shared/request-context.js";
import { newKey, refusalOf, requireKnownKeys, serveInMemory, withKey } from "../helpers/routes.js";
import { MemoryPublisher } from "../shared/publishing/memory-publisher.js";

function ingest() {
  const publisher = new MemoryPublisher();
  const orgId = uuidv7();
  const key = newKey();
  const routes = ingestRoutes(new EventIntake(publisher, createLogger("routes-test", "silent")));
  const client = createClient(IngestService, serveInMemory(routes, [requireKnownKeys({ [key]: orgId })]));
  return { publisher, orgId, key, client };
}

test("ingest routes - an accepted event is published under the caller's org with the request's id", async (t) => {
  const { publisher, orgId, key, client } = ingest();
  const options = { headers: { ...withKey(key).headers, [REQUEST_ID_HEADER]: "req-1" } };
  const answer = await client.publishEvent({ event: { type: "order.created", dataJson: Buffer.from('{"n":1}') } }, options);
  t.is(answer.status, EventStatus.ACCEPTED);
  t.is(publisher.published.length, 1);
  t.like(publisher.published[0], {
    orgId,
    event: { data: '{"n":1}', requestId: "req-1", event: { id: answer.id, type: "order.created" } },
  });
});

test("ingest routes - an event the rules refuse is an invalid field, and nothing is published", async (t) => {
  const { publisher, key, client } = ingest();
  t.deepEqual(await refusalOf(client.publishEvent({ event: { type: "not valid" } }, withKey(key))), {
    code: Code.InvalidArgument,
    field: "type",
  });
  t.deepEqual(await refusalOf(client.publishEvent({}, withKey(key))), { code: Code.InvalidArgument, field: "event" });
  t.deepEqual(publisher.published, []);
});

test("ingest routes - a batch answers each event in order, and only the valid ones are published", async (t) => {
  const { publisher, key, client } = ingest();
  const { results } = await client.publishEvents({ events: [{ type: "a.one" }, { type: "bad type" }, { type: "a.two" }] }, withKey(key));
  t.deepEqual(
    results.map((result) => result.result.case),
    ["accepted", "error", "accepted"],
  );
  const refused = results[1]?.result.case === "error" ? results[1].result.value : undefined;
  t.like(refused, { code: "invalid_argument", info: { field: "events[1].type" } });
  t.deepEqual(
    publisher.published.map(({ event }) => event.event.type),
    ["a.one", "a.two"],
  );
});

test("ingest routes - an empty, oversized or mismatched batch is refused whole, naming the field", async (t) => {
  const { publisher, key, client } = ingest();
  const many = Array.from({ length: 1001 }, () => ({ type: "a" }));
  t.deepEqual(await refusalOf(client.publishEvents({ events: [] }, withKey(key))), { code: Code.InvalidArgument, field: "events" });
  t.deepEqual(await refusalOf(client.publishEvents({ events: many }, withKey(key))), { code: Code.InvalidArgument, field: "events" });
  const mismatched = client.publishEvents({ events: [{ type: "a" }], requestIds: ["r1", "r2"] }, withKey(key));
  t.deepEqual(await refusalOf(mismatched), { code: Code.InvalidArgument, field: "request_ids" });
  t.deepEqual(publisher.published, []);
});

test("ingest routes - while the stream is down an event is unavailable, to be retried, never accepted", async (t) => {
  const { publisher, key, client } = ingest();
  publisher.down = true;
  t.is((await refusalOf(client.publishEvent({ event: { type: "a" } }, withKey(key)))).code, Code.Unavailable);
  const { results } = await client.publishEvents({ events: [{ type: "a" }] }, withKey(key));
  t.like(results[0]?.result, { case: "error", value: { code: "unavailable" } });
});

test("ingest routes - without a known key nothing is published", async (t) => {
  const { publisher, client } = ingest();
  t.is((await refusalOf(client.publishEvent({ event: { type: "a" } }))).code, Code.Unauthenticated);
  t.is((await refusalOf(client.publishEvent({ event: { type: "a" } }, withKey(newKey())))).code, Code.Unauthenticated);
  t.deepEqual(publisher.published, []);
});
