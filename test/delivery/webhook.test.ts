// The webhook client over real sockets: a kept-alive connection the endpoint drops as it is reused.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import test from "ava";
import { EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { postEvent } from "../../services/delivery/webhook.js";

const event = create(EventSchema, { id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", type: "order.created", source: "shop" });

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
  const first = await postEvent(url, event, "{}", 5_000);
  await new Promise((resolve) => setImmediate(resolve));
  const second = await postEvent(url, event, "{}", 5_000);
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
  const outcome = await postEvent(endpoint.url, event, "{}", 5_000);
  t.like(outcome, { status: "failed", responseStatus: 0, error: "connection reset" });
  t.deepEqual(endpoint.seen, { requests: 1, connections: 1 });
});
