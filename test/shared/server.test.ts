import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { deflateSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import test from "ava";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { AuthService, VerifyKeyRequestSchema } from "../../gen/triggers/v1/auth_pb.js";
import type { Dependency } from "../../services/shared/dependencies.js";
import { livenessService } from "../../services/shared/health.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { REQUEST_ID_HEADER } from "../../services/shared/request-context.js";
import { connectionLimits, startServer } from "../../services/shared/server.js";

// A stand-in service whose only method answers when the test lets it, to hold a request in flight.
async function serve(dependencies: Dependency[] = [], maxConnectionAgeMs = 300_000) {
  let release = () => {};
  let arrive = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    adminPort: 0,
    maxConnectionAgeMs,
    dependencies,
    logger: createLogger("test", "silent"),
    metrics: createMetrics("test"),
    services: [AuthService],
    routes: (router) =>
      router.service(AuthService, {
        async verifyKey(req) {
          if (req.key === "refused") throw new ConnectError("refused", Code.PermissionDenied);
          if (req.key === "crash") throw new Error("a bug");
          if (req.key.startsWith("echo")) throw new ConnectError(`no key ${req.key}`, Code.NotFound);
          if (req.key === "slow") {
            arrive();
            await released;
          }
          return { orgId: "org", keyId: req.key };
        },
      }),
  });
  return { server, release, arrived, baseUrl: `http://127.0.0.1:${server.port}`, adminUrl: `http://127.0.0.1:${server.adminPort}` };
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

const verifyKey = (baseUrl: string, body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${baseUrl}/triggers.v1.AuthService/VerifyKey`, { method: "POST", headers, body: body as BodyInit });

test("server - a Connect call whose body is not the method's message is 400 invalid_argument, not a server's 500", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  // Found by generated requests: a JSON body labelled application/proto, and bytes that end inside a field.
  for (const body of ['{"a":1}{"b":2}', new Uint8Array([0x0a, 0x05, 0x61])]) {
    const res = await verifyKey(baseUrl, body, { "content-type": "application/proto" });
    t.is(res.status, 400);
    const error = (await res.json()) as { code: string; message: string };
    t.is(error.code, "invalid_argument");
    t.not(error.message, "", "Connect's reason is passed on");
  }
});

test("server - a Connect call whose body is not the br it claims to be is 400 invalid_argument", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const res = await verifyKey(baseUrl, new Uint8Array([0xa2, 0xaf, 0x12, 0xfe, 0x2f]), {
    "content-type": "application/json",
    "content-encoding": "br",
  });
  t.is(res.status, 400);
  t.like(await res.json(), { code: "invalid_argument" });
});

test("server - a Connect call compressed in a coding not taken is 415, unimplemented, naming those taken", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const res = await verifyKey(baseUrl, deflateSync('{"key":"k"}'), { "content-type": "application/json", "content-encoding": "deflate" });
  t.is(res.status, 415);
  t.is(res.headers.get("accept-encoding"), "gzip,br");
  t.like(await res.json(), { code: "unimplemented" });
});

test("server - a method failing unexpectedly is still a 500, and gRPC-Web still answers INTERNAL for a message it cannot read", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const crashed = await verifyKey(baseUrl, JSON.stringify({ key: "crash" }), { "content-type": "application/json" });
  t.is(crashed.status, 500);
  t.like(await crashed.json(), { code: "internal", message: "internal error" });
  // gRPC-Web carries its status behind a 200, as grpc-go and grpc-java answer a message they cannot read.
  const framed = Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x05, 0x61]);
  const grpcWeb = await verifyKey(baseUrl, framed, { "content-type": "application/grpc-web+proto" });
  t.is(grpcWeb.status, 200);
  t.regex(Buffer.from(await grpcWeb.arrayBuffer()).toString(), /grpc-status: ?13/);
});

test("server - a request whose text holds a NUL, which Postgres cannot store, is 400 naming the field, over Connect and gRPC-Web", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const json = await verifyKey(baseUrl, JSON.stringify({ key: "a\u0000b" }), { "content-type": "application/json" });
  t.is(json.status, 400);
  t.like(await json.json(), { code: "invalid_argument", message: "key must not hold a NUL character (U+0000)" });
  const message = toBinary(VerifyKeyRequestSchema, create(VerifyKeyRequestSchema, { key: "a\u0000b" }));
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
  const grpcWeb = await verifyKey(baseUrl, framed, { "content-type": "application/grpc-web+proto" });
  t.regex(Buffer.from(await grpcWeb.arrayBuffer()).toString(), /grpc-status: ?3\b/);
});

test("server - a gRPC-Web call whose reason holds text that is not well-formed UTF-16 is answered, not left hanging", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  // Found by generated requests: a JSON message "\ud800" (a lone surrogate, escaped) to DeleteEvent over gRPC-Web was
  // never answered; connect-es percent-encodes the reason into grpc-message, and encodeURIComponent throws on one.
  const call = async (message: string) => {
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, Buffer.byteLength(message)]), Buffer.from(message)]);
    const res = await fetch(`${baseUrl}/triggers.v1.AuthService/VerifyKey`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+json" },
      body: framed,
      signal: AbortSignal.timeout(10_000),
    });
    return `${res.headers.get("grpc-status") ?? ""} ${Buffer.from(await res.arrayBuffer()).toString()}`;
  };
  // Connect could not read it: invalid_argument, in the headers of a trailers-only answer.
  t.regex(await call('"\\ud800"'), /^3 /);
  // A message Connect can read, and a reason it can write, are answered as before.
  t.regex(await call('{"key": "echo"}'), /grpc-status: ?5/);
});

test("server - the admin port's health service reports ready for the server and its services, and alive", async (t) => {
  const { server, adminUrl } = await serve();
  t.teardown(() => server.close(0));
  const health = createClient(Health, createGrpcTransport({ baseUrl: adminUrl }));
  t.is((await health.check({ service: "" })).status, Status.SERVING);
  t.is((await health.check({ service: AuthService.typeName })).status, Status.SERVING);
  t.is((await health.check({ service: livenessService })).status, Status.SERVING);
  await t.throwsAsync(health.check({ service: "nope.Service" }), { message: /unknown service/ });
  t.is((await fetch(`${adminUrl}/healthz`)).status, 200);
});

test("server - the API port serves neither health nor metrics", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const health = createClient(Health, createGrpcTransport({ baseUrl }));
  await t.throwsAsync(health.check({ service: "" }), { code: Code.Unimplemented });
  t.is((await fetch(`${baseUrl}/metrics`)).status, 404);
  t.is((await fetch(`${baseUrl}/healthz`)).status, 404);
});

test("server - a dependency down makes the server unready but still alive, until it is back", async (t) => {
  let report: (up: boolean) => void = () => {};
  const { server, adminUrl } = await serve([
    (health) => {
      report = (up) => health.dependency("nats", up);
      return async () => {};
    },
  ]);
  t.teardown(() => server.close(0));
  const health = createClient(Health, createGrpcTransport({ baseUrl: adminUrl }));
  report(false);
  t.is((await health.check({ service: "" })).status, Status.NOT_SERVING);
  t.is((await health.check({ service: livenessService })).status, Status.SERVING);
  const down = await fetch(`${adminUrl}/healthz`);
  t.is(down.status, 503);
  t.is(await down.text(), "down: nats\n");
  report(true);
  t.is((await health.check({ service: "" })).status, Status.SERVING);
});

test("server - /metrics on the admin port exposes RPC durations in the Prometheus format", async (t) => {
  const { server, baseUrl, adminUrl } = await serve();
  t.teardown(() => server.close(0));
  await createClient(AuthService, createGrpcTransport({ baseUrl })).verifyKey({ key: "k" });
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  t.regex(text, /rpc_server_duration_seconds_count\{service="test",method="triggers.v1.AuthService\/VerifyKey",code="ok"\} 1/);
});

test("server - while closing it is unready but alive, lets an in-flight call finish, then refuses connections", async (t) => {
  const { server, baseUrl, adminUrl, release, arrived } = await serve();
  const client = createClient(AuthService, createGrpcTransport({ baseUrl }));
  const health = createClient(Health, createGrpcTransport({ baseUrl: adminUrl }));
  const inFlight = client.verifyKey({ key: "slow" });
  await arrived;
  const closed = server.close(30_000);
  t.is((await health.check({ service: "" })).status, Status.NOT_SERVING);
  t.is((await health.check({ service: livenessService })).status, Status.SERVING);
  release();
  t.is((await inFlight).keyId, "slow");
  await closed;
  await t.throwsAsync(fetch(`${adminUrl}/healthz`));
  await t.throwsAsync(client.verifyKey({ key: "late" }));
});

test("server - an HTTP/2 connection is ended gracefully once it is old, letting its call in flight finish", async (t) => {
  const { server, baseUrl, release, arrived } = await serve([], 300);
  t.teardown(() => server.close(0));
  const session = http2.connect(baseUrl);
  t.teardown(() => session.destroy());
  const goaway = once(session, "goaway");
  const call = session.request({ ":method": "POST", ":path": "/triggers.v1.AuthService/VerifyKey", "content-type": "application/json" });
  call.end(JSON.stringify({ key: "slow" }));
  const answered = once(call, "response");
  await arrived;
  await goaway;
  release();
  const [headers] = await answered;
  t.is(headers[":status"], 200);
});

test("server - idle HTTP/1.1 connections are kept longer than a load balancer's 60 s, and clients are told so", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const res = await fetch(`${baseUrl}/triggers.v1.AuthService/VerifyKey`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: "k" }),
  });
  t.is(res.headers.get("keep-alive"), "timeout=65");
});

test("server - closing ends idle HTTP/1.1 connections at once, and a busy one once its answer is out", async (t) => {
  const { server, baseUrl, release, arrived } = await serve();
  // Two keep-alive clients, so that the idle connection and the busy one are not the same.
  const agents = [new http.Agent({ keepAlive: true }), new http.Agent({ keepAlive: true })] as const;
  t.teardown(() => {
    for (const agent of agents) agent.destroy();
  });
  const call = (key: string, agent: http.Agent) =>
    new Promise<{ status?: number; socket: net.Socket }>((resolve, reject) => {
      const req = http.request(`${baseUrl}/triggers.v1.AuthService/VerifyKey`, {
        method: "POST",
        agent,
        headers: { "content-type": "application/json" },
      });
      req.on("response", (res) => res.resume().on("end", () => resolve({ status: res.statusCode, socket: req.socket! })));
      req.on("error", reject);
      req.end(JSON.stringify({ key }));
    });
  const { socket: idle } = await call("k", agents[0]);
  const idleClosed = once(idle, "close");
  const busy = call("slow", agents[1]);
  await arrived;
  const closed = server.close(60_000);
  // The idle connection goes while the busy one still waits for its answer: closing does not wait out the grace.
  await idleClosed;
  release();
  t.is((await busy).status, 200);
  await closed;
});

test("server - a client that never finishes sending its headers is answered 408 and cut off", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const socket = net.connect(Number(new URL(baseUrl).port), "127.0.0.1");
  socket.write("POST /triggers.v1.AuthService/VerifyKey HTTP/1.1\r\nhost: test\r\n");
  let received = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
  await once(socket, "close");
  t.regex(received, /^HTTP\/1.1 408/);
  t.log(`headers timeout ${connectionLimits.headersTimeoutMs} ms`);
});

test("server - HTTP/2 clients are told how many streams they may open at once", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const session = http2.connect(baseUrl);
  t.teardown(() => session.destroy());
  await once(session, "remoteSettings");
  t.is(session.remoteSettings.maxConcurrentStreams, connectionLimits.maxConcurrentStreams);
});

test("server - an HTTP/2 client resetting streams as fast as it opens them is cut off, and others are still served", async (t) => {
  const { server, baseUrl } = await serve();
  t.teardown(() => server.close(0));
  const session = http2.connect(baseUrl);
  session.on("error", () => {});
  t.teardown(() => session.destroy());
  await once(session, "remoteSettings");
  const ended = new Promise((resolve) => session.once("close", resolve));
  for (let i = 0; i < 20_000 && !session.destroyed && !session.closed; i++) {
    const stream = session.request({
      ":method": "POST",
      ":path": "/triggers.v1.AuthService/VerifyKey",
      "content-type": "application/json",
    });
    stream.on("error", () => {});
    stream.close(http2.constants.NGHTTP2_CANCEL);
    // Lets the frames go out, as a flood over the network would.
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await ended;
  const res = await createClient(AuthService, createGrpcTransport({ baseUrl })).verifyKey({ key: "after" });
  t.is(res.keyId, "after");
});
