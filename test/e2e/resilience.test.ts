// How the stack behaves when a part of it goes away: clear 503s while it is down, clean exits on SIGTERM.
import test from "ava";
import { apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { type ServiceName, type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

test.serial("resilience - with ingest down, events published through the gateway are accepted and reach the inbox", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  await stack.kill("ingest", "SIGKILL");
  const published = await api.post("/v1/events", { type: "while.ingest.is.down" });
  t.is(published.status, 200, "the gateway writes events to the stream itself");
  const read = await eventually(async () => {
    const reply = await api.get(`/v1/events/${published.body.id}`);
    return reply.status === 200 ? reply : undefined;
  }, "the event in the inbox");
  t.is(read.body.event.type, "while.ingest.is.down");
  await stack.start("ingest");
});

test.serial("resilience - every service exits cleanly on SIGTERM", async (t) => {
  const names: ServiceName[] = ["gateway", "delivery", "inbox", "ingest", "auth"];
  for (const name of names) {
    const exit = await stack.kill(name, "SIGTERM");
    t.deepEqual(exit, { code: 0, signal: null }, name);
  }
});
