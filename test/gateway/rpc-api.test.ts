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
import { newKey } from "../helpers/routes.js";
import { MISSING_ID } from "./backend-doubles.js";
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

test("gateway - a gRPC client gets the code, message and details of the backend or of the event rules", async (t) => {
  const { gateway, adminToken } = t.context;
  const { key } = await createOrg(gateway.url, adminToken);
  const notFound = await t.throwsAsync(grpcClient(InboxService, gateway.url, key).getEvent({ id: MISSING_ID }));
  t.is(ConnectError.from(notFound).code, Code.NotFound);
  t.is(ConnectError.from(notFound).rawMessage, "event not found");
  const data = { text: "x".repeat(300 * 1024) };
  const tooLarge = ConnectError.from(
    await t.throwsAsync(grpcClient(IngestService, gateway.url, key).publishEvent({ event: { type: "big", data } })),
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

test("gateway - gRPC and Connect publishes are written to the stream under the caller's org with the rate-limit headers", async (t) => {
  const { gateway, adminToken, storedEvents } = t.context;
  const { key, orgId } = await createOrg(gateway.url, adminToken);
  const headers: Headers[] = [];
  const ingest = grpcClient(IngestService, gateway.url, key);
  const one = await ingest.publishEvent({ event: { type: "grpc.one", data: { n: 1 } } }, { onHeader: (h) => headers.push(h) });
  const { results } = await ingest.publishEvents({ events: [{ type: "grpc.two" }, { type: "not valid" }] });
  t.like(results, [{ result: { case: "accepted" } }, { result: { case: "error", value: { info: { field: "events[1].type" } } } }]);
  const overConnect = await request(gateway.url, "/triggers.v1.IngestService/PublishEvent", {
    key,
    body: { event: { type: "connect.three" } },
  });
  t.is(overConnect.status, 200);
  t.truthy(headers[0]?.get("ratelimit-remaining"));
  const stored = await storedEvents(orgId);
  t.deepEqual(
    stored.map(({ event }) => event.type),
    ["grpc.one", "grpc.two", "connect.three"],
  );
  t.like(stored[0], { data: '{"n":1}', event: { id: one.id } });
});
