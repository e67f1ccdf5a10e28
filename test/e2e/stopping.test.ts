// Stopping a stack as Ctrl-C does: idle keep-alive connections do not hold it up, and a request in flight is answered.
import http from "node:http";
import test from "ava";
import { apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { type ExitInfo, startStack } from "../helpers/stack.js";

/** A publish whose headers are in, answered 100 Continue by the gateway, and whose body is still to be sent. */
function publishAwaitingBody(gatewayUrl: string, key: string) {
  const body = JSON.stringify({ type: "order.in_flight" });
  const req = http.request(`${gatewayUrl}/v1/events`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      expect: "100-continue",
    },
  });
  const answer = new Promise<{ status?: number; text: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("error", reject);
  });
  const continued = new Promise<void>((resolve) => req.once("continue", resolve));
  req.flushHeaders();
  return { continued, answer, send: () => req.end(body) };
}

test("stopping - a stack holding idle keep-alive connections stops at once, each service exiting 0, and its request in flight is answered", async (t) => {
  // A grace longer than the 10 s the supervisor waits before SIGKILL: a service that waited for its idle connections
  // to go away would be killed.
  const stack = await startStack({ env: { SHUTDOWN_GRACE_MS: "30000" } });
  t.teardown(() => stack.stop());
  const { key } = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, key);
  // Leaves idle connections behind: ours to the gateway, the gateway's to auth, ingest and the inbox, theirs to auth.
  t.is((await api.post("/v1/events", { type: "order.created" })).status, 200);
  t.is((await api.get("/v1/inbox")).status, 200);

  const inFlight = publishAwaitingBody(stack.gatewayUrl, key);
  await inFlight.continued;
  const stopping = performance.now();
  const exits = stack.stopServices();
  await eventually(
    async () => ((await fetch(`${stack.adminUrls.gateway}/healthz`)).status === 503 ? true : undefined),
    "the gateway draining",
  );
  inFlight.send();

  const answer = await inFlight.answer;
  t.is(answer.status, 200, answer.text);
  const clean: ExitInfo = { code: 0, signal: null };
  const exited = Object.fromEntries(await exits);
  t.log(`stopped in ${Math.round(performance.now() - stopping)} ms`);
  t.deepEqual(exited, { gateway: clean, delivery: clean, inbox: clean, ingest: clean, auth: clean });
});
