// The gateway's RPC face: Connect JSON and gRPC clients reach the public methods, and only those.
import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import anyTest, { type TestFn } from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { REQUEST_ID_HEADER } from "../../services/shared/request-context.js";
import { createOrg, request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { newKey } from "../helpers/routes.js";
import { type BackendDoubles, MISSING_ID, type RecordedCall, SLOW_TYPE, TOO_LARGE_TYPE } from "./backend-doubles.js";
import { type GatewayStack, startGatewayStack } from "./gateway-stack.js";

const test = anyTest as TestFn<GatewayStack>;

test.before(async (t) => {
  t.context = await startGatewayStack();
});
test.after.always(async (t) => {
  await t.context?.stop();
});

/** A plain gRPC client of the gateway, as a service in another language would use it. */
function grpcClient<S extends DescService>(service: S, baseUrl: string, key: string) {
  const withKey: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
  return createClient(service, createGrpcTransport({ baseUrl, interceptors: [withKey] }));
}

test("gateway - Connect JSON reaches the backend through the gateway", async (t) => {
  const { gateway, adminToken, doubles } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const requestId = randomUUID();
  const res = await request(gateway.url, "/triggers.v1.InboxService/ListInbox", {
    key,
    body: { limit: 3 },
    headers: { [REQUEST_ID_HEADER]: requestId },
  });
  t.is(res.status, 200);
  t.like(res.body, { events: [{ id: "ev-1" }], next_cursor: "cursor-2" });
  t.is(res.headers.get(REQUEST_ID_HEADER), requestId);
  t.like(doubles.callsOf(requestId)[0], { method: "ListInbox", authorization: `Bearer ${key}`, request: { limit: 3 } });
});

test("gateway - a Connect call without a key is unauthenticated, carries the request id and never reaches the backend", async (t) => {
  const { gateway, doubles } = t.context;
  const requestId = randomUUID();
  const res = await request(gateway.url, "/triggers.v1.InboxService/ListInbox", { body: {}, headers: { [REQUEST_ID_HEADER]: requestId } });
  t.is(res.status, 401);
  t.is(res.body.code, "unauthenticated");
  t.is(res.headers.get(REQUEST_ID_HEADER), requestId);
  t.deepEqual(doubles.callsOf(requestId), []);
});

test("gateway - a gRPC client creates an org and uses its key through the gateway", async (t) => {
  const { gateway, adminToken } = t.context;
  const created = await grpcClient(AuthService, gateway.url, adminToken).createOrg({ name: "grpc-org" });
  t.is(created.org?.name, "grpc-org");
  const key = created.apiKey!.secret!;
  const { subscriptions } = await grpcClient(DeliveryService, gateway.url, key).listSubscriptions({});
  t.is(subscriptions[0]?.id, "sub-1");
});

test("gateway - a gRPC client gets the backend's code, message and details", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const notFound = await t.throwsAsync(grpcClient(InboxService, gateway.url, key).getEvent({ id: MISSING_ID }));
  t.is(ConnectError.from(notFound).code, Code.NotFound);
  t.is(ConnectError.from(notFound).rawMessage, "event not found");
  const tooLarge = ConnectError.from(
    await t.throwsAsync(grpcClient(IngestService, gateway.url, key).publishEvent({ event: { type: TOO_LARGE_TYPE } })),
  );
  t.is(tooLarge.code, Code.ResourceExhausted);
  t.like(tooLarge.findDetails(ErrorInfoSchema)[0], { reason: ErrorReason.TOO_LARGE, field: "data" });
});

test("gateway - a gRPC client with an unknown key is unauthenticated", async (t) => {
  const err = await t.throwsAsync(grpcClient(InboxService, t.context.gateway.url, newKey()).listInbox({}));
  t.is(ConnectError.from(err).code, Code.Unauthenticated);
});

test("gateway - VerifyKey is not reachable through the gateway", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const overConnect = await request(gateway.url, "/triggers.v1.AuthService/VerifyKey", { key, body: { key } });
  t.is(overConnect.status, 404);
  const overGrpc = await t.throwsAsync(grpcClient(AuthService, gateway.url, key).verifyKey({ key }));
  t.is(ConnectError.from(overGrpc).code, Code.Unimplemented);
});

function isBatchOf(call: RecordedCall, type: string): boolean {
  return call.method === "PublishEvents" && (call.request as { events: { type: string }[] }).events.some((event) => event.type === type);
}

/** Whether ingest was ever sent the publish made with this request id, alone or in a batch. */
function reachedIngest(doubles: BackendDoubles, requestId: string): boolean {
  return doubles.calls.some(
    (call) => call.method === "PublishEvents" && (call.request as { requestIds: string[] }).requestIds.includes(requestId),
  );
}

/**
 * Publishes an event that holds its key's batch at ingest, then `second` while it is held, then a third event after
 * it: by the time the third is answered, anything queued behind the first has had its turn at ingest.
 */
async function behindAHeldBatch(t: { context: GatewayStack }, second: (publish: IngestPublish) => Promise<unknown>) {
  const { gateway, adminToken, doubles } = t.context;
  const ingest = grpcClient(IngestService, gateway.url, (await createOrg(gateway.url, adminToken)).key);
  const held = ingest.publishEvent({ event: { type: SLOW_TYPE } });
  await eventually(async () => doubles.calls.find((call) => isBatchOf(call, SLOW_TYPE)), "the held batch at ingest");
  const secondId = randomUUID();
  const outcome = await second((options) =>
    ingest.publishEvent({ event: { type: "order.created" } }, { ...options, headers: { [REQUEST_ID_HEADER]: secondId } }),
  ).catch((err: unknown) => ConnectError.from(err));
  await held;
  await ingest.publishEvent({ event: { type: "order.created" } });
  return { outcome, sent: reachedIngest(doubles, secondId) };
}

type IngestPublish = (options: { timeoutMs?: number; signal?: AbortSignal }) => Promise<unknown>;

test("gateway - a publish whose deadline passes while it waits for its batch gets deadline_exceeded and is never sent", async (t) => {
  const { outcome, sent } = await behindAHeldBatch(t, (publish) => publish({ timeoutMs: 200 }));
  t.is((outcome as ConnectError).code, Code.DeadlineExceeded);
  t.false(sent);
});

test("gateway - a publish cancelled while it waits for its batch is never sent", async (t) => {
  const { outcome, sent } = await behindAHeldBatch(t, (publish) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    return publish({ signal: controller.signal });
  });
  t.is((outcome as ConnectError).code, Code.Canceled);
  t.false(sent);
});
