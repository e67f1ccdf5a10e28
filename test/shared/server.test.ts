import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import test from "ava";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { REQUEST_ID_HEADER } from "../../services/shared/request-context.js";
import { startServer } from "../../services/shared/server.js";

// A stand-in service whose only method answers when the test lets it, to hold a request in flight.
async function serve() {
  let release = () => {};
  let arrive = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    logger: createLogger("test", "silent"),
    metrics: createMetrics("test"),
    services: [AuthService],
    routes: (router) =>
      router.service(AuthService, {
        async verifyKey(req) {
          if (req.key === "refused") throw new ConnectError("refused", Code.PermissionDenied);
          if (req.key === "slow") {
            arrive();
            await released;
          }
          return { orgId: "org", keyId: req.key };
        },
      }),
  });
  return { server, release, arrived, baseUrl: `http://127.0.0.1:${server.port}` };
}

test("server - one port serves gRPC over h2c, Connect over HTTP/1.1 and gRPC-Web", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const transports = [
    createGrpcTransport({ baseUrl }),
    createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    createConnectTransport({ baseUrl, httpVersion: "2" }),
    createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  ];
  for (const transport of transports) {
    const res = await createClient(AuthService, transport).verifyKey({ key: "k1" });
    t.is(res.keyId, "k1");
  }
});

test("server - Connect JSON uses proto field names and echoes the request id", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const res = await fetch(`${baseUrl}/triggers.v1.AuthService/VerifyKey`, {
    method: "POST",
    headers: { "content-type": "application/json", [REQUEST_ID_HEADER]: "trace-123" },
    body: JSON.stringify({ key: "k2" }),
  });
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { org_id: "org", key_id: "k2", scopes: [], allowed_cidrs: [], events_per_minute: 0 });
  t.is(res.headers.get(REQUEST_ID_HEADER), "trace-123");
});

test("server - error responses carry the request id too", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const res = await fetch(`${baseUrl}/triggers.v1.AuthService/VerifyKey`, {
    method: "POST",
    headers: { "content-type": "application/json", [REQUEST_ID_HEADER]: "trace-err" },
    body: JSON.stringify({ key: "refused" }),
  });
  t.is(res.status, 403);
  t.is(res.headers.get(REQUEST_ID_HEADER), "trace-err");
});

test("server - the standard health service reports serving for the server and its services", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const health = createClient(Health, createGrpcTransport({ baseUrl }));
  t.is((await health.check({ service: "" })).status, HealthCheckResponse_ServingStatus.SERVING);
  t.is((await health.check({ service: AuthService.typeName })).status, HealthCheckResponse_ServingStatus.SERVING);
  await t.throwsAsync(health.check({ service: "nope.Service" }), { message: /unknown service/ });
});

test("server - /metrics exposes RPC durations in the Prometheus format", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  await createClient(AuthService, createGrpcTransport({ baseUrl })).verifyKey({ key: "k" });
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  t.regex(text, /rpc_server_duration_seconds_count\{service="test",method="triggers.v1.AuthService\/VerifyKey",code="ok"\} 1/);
});

test("server - closing lets an in-flight call finish and refuses new connections", async (t) => {
  const { server, baseUrl, release, arrived } = await serve();
  const client = createClient(AuthService, createGrpcTransport({ baseUrl }));
  const inFlight = client.verifyKey({ key: "slow" });
  await arrived;
  const closed = server.close(30_000);
  release();
  t.is((await inFlight).keyId, "slow");
  await closed;
  await t.throwsAsync(fetch(`${baseUrl}/healthz`));
});
