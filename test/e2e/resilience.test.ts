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

test.serial("resilience - while ingest is down, posting an event answers 503, and works again once it is back", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  t.is((await api.post("/v1/events", { type: "before" })).status, 200);
  await stack.kill("ingest", "SIGKILL");
  const down = await api.post("/v1/events", { type: "during" });
  t.is(down.status, 503);
  t.is(down.body.code, "unavailable");
  await stack.start("ingest");
  const back = await eventually(async () => {
    const reply = await api.post("/v1/events", { type: "after" });
    return reply.status === 200 ? reply : undefined;
  }, "ingest back");
  t.is(back.body.status, "EVENT_STATUS_ACCEPTED");
});

test.serial("resilience - every service exits cleanly on SIGTERM", async (t) => {
  const names: ServiceName[] = ["gateway", "delivery", "inbox", "ingest", "auth"];
  for (const name of names) {
    const exit = await stack.kill(name, "SIGTERM");
    t.deepEqual(exit, { code: 0, signal: null }, name);
  }
});
