// Publishing through the gateway while NATS is away: 503 unavailable on every protocol, never a 500, and served again once it is back.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { IngestService } from "../../../gen/triggers/v1/ingest_pb.js";
import { startNatsServer } from "../../../tools/stack/nats.js";
import { createOrg, request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { startGatewayStack } from "../gateway-stack.js";

test("gateway events - while NATS is down a publish is 503 over REST and unavailable over gRPC; once it is back, publishes are stored", async (t) => {
  // Writes wait a second for JetStream, not five: what a write that cannot reach NATS waits before it is refused.
  const stack = await startGatewayStack({ PUBLISH_TIMEOUT_MS: "1000" });
  t.teardown(stack.stop);
  const { key, orgId } = await createOrg(stack.gateway.url, stack.adminToken);
  const before = await request(stack.gateway.url, "/v1/events", { key, body: { type: "before" } });
  t.is(before.status, 200);

  await stack.nats.kill();
  const rest = await request(stack.gateway.url, "/v1/events", { key, body: { type: "during" } });
  t.is(rest.status, 503, JSON.stringify(rest.body));
  t.is(rest.body.code, "unavailable");
  const batch = await request(stack.gateway.url, "/v1/events/batch", { key, body: { events: [{ type: "during" }] } });
  t.is(batch.status, 200, "a batch answers each event");
  t.is(batch.body.results[0].error.code, "unavailable");
  const grpc = createClient(IngestService, createGrpcTransport({ baseUrl: stack.gateway.url }));
  const headers = { authorization: `Bearer ${key}` };
  const refused = await t.throwsAsync(grpc.publishEvent({ event: { type: "during" } }, { headers }));
  t.is(ConnectError.from(refused).code, Code.Unavailable);

  const restarted = await startNatsServer({ port: Number(new URL(stack.nats.url).port), storeDir: stack.nats.storeDir });
  t.teardown(restarted.stop);
  const after = await eventually(async () => {
    const reply = await request(stack.gateway.url, "/v1/events", { key, body: { type: "after" } });
    return reply.status === 200 ? reply : undefined;
  }, "publishing again once NATS is back");
  t.is(after.body.status, "EVENT_STATUS_ACCEPTED");
  // The test's own reader reconnects on its own schedule: a read before it is back times out, and is asked again.
  const events = await eventually(() => stack.storedEvents(orgId).catch(() => undefined), "reading the stream back");
  const stored = events.map(({ event }) => event.type);
  t.deepEqual(
    stored.filter((type) => type !== "during"),
    ["before", "after"],
  );
});
