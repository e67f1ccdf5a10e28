// At least once: delivery is killed with SIGKILL while events pour in, and after its restart every accepted event reaches the webhook.
import test from "ava";
import { apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { postUnderLoad } from "../helpers/load.js";
import { startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  // A short timeout keeps the leases short: what the killed process held falls due again within seconds.
  stack = await startStack({ env: { DELIVERY_TIMEOUT_MS: "2000" } });
});

test.after.always(async () => {
  await stack?.stop();
});

test("delivery crash - every event accepted around a SIGKILL of delivery reaches the subscription at least once", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const hook = await startReceiver();
  t.teardown(hook.close);
  t.is((await api.post("/v1/subscriptions", { url: hook.url })).status, 200);
  const { accepted, stop } = postUnderLoad(api, "load.tick");

  await eventually(() => (hook.requests.length >= 300 ? true : undefined), "deliveries under way");
  const exit = await stack.kill("delivery", "SIGKILL");
  t.is(exit.signal, "SIGKILL");
  const acceptedWhileDown = accepted.length;
  await eventually(() => (accepted.length >= acceptedWhileDown + 300 ? true : undefined), "events accepted while delivery is down");
  await stack.start("delivery");
  await eventually(() => (accepted.length >= acceptedWhileDown + 700 ? true : undefined), "events accepted after the restart");
  await stop();

  const received = () => new Set(hook.requests.map((r) => r.headers["webhook-id"] as string));
  await eventually(() => (accepted.every((id) => received().has(id)) ? true : undefined), "every accepted event delivered");
  t.true(accepted.length >= 1000, `${accepted.length} events accepted`);
  t.true(accepted.every((id) => received().has(id)));
});
