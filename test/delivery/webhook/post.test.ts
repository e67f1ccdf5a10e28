// The webhook client over real sockets: kept-alive connections dropped as they are reused, what an answer says, the address guard.
import http from "node:http";
import type { AddressInfo } from "node:net";
import test from "ava";
import { AddressGuard } from "../../../services/delivery/webhook/address-guard.js";
import { postWebhook, retryAfterMs } from "../../../services/delivery/webhook/post.js";
import { newSigningSecret } from "../../../services/delivery/webhook/signing.js";

const loopbackAllowed = new AddressGuard(["127.0.0.0/8"]);
const secrets = [newSigningSecret()];
const post = (url: string, guard = loopbackAllowed) =>
  postWebhook({ url, webhookId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", body: "{}", secrets }, 5_000, guard);

/** An endpoint answering every POST with the given status, headers and body. */
async function endpointAnswering(status: number, headers: Record<string, string> = {}, body = "") {
  const server = http.createServer((req, res) => {
    req.resume();
    req.once("end", () => res.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An endpoint that answers the first request of each connection and resets the connection on any later one. */
async function endpointResettingReusedConnections(options: { resetFreshConnections?: boolean } = {}) {
  const seen = { requests: 0, connections: 0 };
  const served = new WeakSet<object>();
  const server = http.createServer((req, res) => {
    seen.requests++;
    if (served.has(req.socket) || options.resetFreshConnections) return void req.socket.resetAndDestroy();
    served.add(req.socket);
    req.resume();
    req.once("end", () => res.end());
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// The first POST leaves its connection in the pool; the next one reuses it.
async function twoPosts(url: string) {
  const first = await post(url);
  await new Promise((resolve) => setImmediate(resolve));
  const second = await post(url);
  return { first, second };
}

test.serial("webhook - a kept-alive connection reset as it is reused is sent again once, on a new connection", async (t) => {
  const endpoint = await endpointResettingReusedConnections();
  t.teardown(endpoint.close);
  const { first, second } = await twoPosts(endpoint.url);
  t.is(first.status, "succeeded");
  t.like(second, { status: "succeeded", responseStatus: 200, error: "" });
  t.deepEqual(endpoint.seen, { requests: 3, connections: 2 });
});

test.serial("webhook - a connection reset on a new connection is a failed attempt, not sent again", async (t) => {
  const endpoint = await endpointResettingReusedConnections({ resetFreshConnections: true });
  t.teardown(endpoint.close);
  const outcome = await post(endpoint.url);
  t.like(outcome, { status: "failed", responseStatus: 0, error: "connection reset" });
  t.deepEqual(endpoint.seen, { requests: 1, connections: 1 });
});

test("webhook - an answer keeps its status, its first KiB, a 429's Retry-After and the receiver's abort", async (t) => {
  const busy = await endpointAnswering(429, { "retry-after": "7" }, "x".repeat(5000));
  const aborting = await endpointAnswering(400, { "webhook-delivery": "abort-message" });
  t.teardown(busy.close);
  t.teardown(aborting.close);
  const slowDown = await post(busy.url);
  t.like(slowDown, { status: "failed", responseStatus: 429, retryAfterMs: 7000, abort: false, error: "" });
  t.is(slowDown.responseBody, "x".repeat(1024));
  t.like(await post(aborting.url), { status: "failed", responseStatus: 400, abort: true, retryAfterMs: 0 });
});

test("webhook - an answer's NUL bytes are not kept, as Postgres text cannot hold them", async (t) => {
  const endpoint = await endpointAnswering(500, {}, "bad\u0000answer");
  t.teardown(endpoint.close);
  t.is((await post(endpoint.url)).responseBody, "badanswer");
});

test("webhook - Retry-After is read as seconds or as a date, and only on 429 and 503", async (t) => {
  t.is(retryAfterMs("120"), 120_000);
  t.is(retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 1)).toUTCString(), Date.UTC(2026, 0, 1)), 60_000);
  t.is(retryAfterMs("soon"), 0);
  const failing = await endpointAnswering(500, { "retry-after": "7" });
  t.teardown(failing.close);
  t.is((await post(failing.url)).retryAfterMs, 0);
});

test("webhook - a loopback, private or metadata address is not posted to unless allowed, whether named or resolved", async (t) => {
  const endpoint = await endpointAnswering(200);
  t.teardown(endpoint.close);
  const guarded = new AddressGuard([]);
  const port = new URL(endpoint.url).port;
  for (const url of [endpoint.url, `http://localhost:${port}/hook`, "http://169.254.169.254/latest/meta-data", "http://[::1]:1/"]) {
    t.like(await post(url, guarded), { status: "failed", responseStatus: 0, error: "address not allowed" }, url);
  }
  t.like(await post(`http://localhost:${port}/hook`), { status: "succeeded", responseStatus: 200 });
});
