// Two delivery replicas: a subscription changed through one is in force at once on the other, whatever it had cached.
import test from "ava";
import { request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { startReceiver } from "../../helpers/receiver.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack } from "../helpers.js";

let stack: DeliveryStack;

test.before(async () => {
  // The second replica's deliveries are found by its debug-level "attempt made" lines.
  stack = await startDeliveryStack({ LOG_LEVEL: "debug" });
});

test.after.always(async () => {
  await stack?.stop();
});

test("delivery - a subscription created or deleted on one replica is in force at once on another that knew the org", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const first = stack.delivery;
  const second = await stack.startDelivery();
  const old = await startReceiver();
  const added = await startReceiver();
  t.teardown(() => Promise.all([old.close(), added.close()]));
  const call = (method: string, body: unknown) => request(first.url, `/triggers.v1.DeliveryService/${method}`, { body, key });
  const created = await call("CreateSubscription", { url: old.url });
  const oldId = (created.body as { subscription: { id: string } }).subscription.id;

  // Until the second replica has delivered one of them, it has the org's subscriptions in memory.
  await eventually(async () => {
    const event = newEvent("warm.up");
    await publishEvent(stack.js, orgId, event);
    await eventually(() => (old.requests.some((r) => r.headers["webhook-id"] === event.id) ? true : undefined));
    return second.lines.some((line) => line.includes(event.id) && line.includes("attempt made")) ? true : undefined;
  });

  t.is((await call("CreateSubscription", { url: added.url })).status, 200);
  t.is((await call("DeleteSubscription", { id: oldId })).status, 200);
  // From here on only the second replica consumes.
  await first.stop();
  const before = old.requests.length;
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  await eventually(() => (added.requests.length ? true : undefined));
  t.is(added.requests[0]!.headers["webhook-id"], event.id);
  t.is(old.requests.length, before, "the deleted subscription got nothing");
});
