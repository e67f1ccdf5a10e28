// The delivery service's routes in memory: subscription rules, each change announced before it is answered, orgs apart.
import { Code, createClient } from "@connectrpc/connect";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { AttemptStatus, DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { deliveryRoutes } from "../../services/delivery/routes.js";
import { newKey, refusalOf, requireKnownKeys, serveInMemory, withKey } from "../helpers/routes.js";
import { MemoryDeliveryStore } from "./memory-store.js";

function delivery() {
  const store = new MemoryDeliveryStore();
  const orgs = { a: uuidv7(), b: uuidv7() };
  const keys = { a: newKey(), b: newKey() };
  // What replicas were told changed, with how many subscriptions the store held then.
  const announced: Array<{ orgId: string; held: number }> = [];
  const changed = async (orgId: string) => void announced.push({ orgId, held: store.subscriptions.length });
  const transport = serveInMemory(deliveryRoutes(store, { changed }), [requireKnownKeys({ [keys.a]: orgs.a, [keys.b]: orgs.b })]);
  return { store, orgs, keys, announced, client: createClient(DeliveryService, transport) };
}

test("delivery routes - a subscription is created with its URL normalised, listed, read and deleted", async (t) => {
  const { keys, client } = delivery();
  const { subscription } = await client.createSubscription(
    { url: "HTTPS://Example.com/hook", eventTypes: ["a.b", "a.b"] },
    withKey(keys.a),
  );
  t.like(subscription, { url: "https://example.com/hook", eventTypes: ["a.b"] });
  t.deepEqual(
    (await client.listSubscriptions({}, withKey(keys.a))).subscriptions.map((each) => each.id),
    [subscription!.id],
  );
  t.is((await client.getSubscription({ id: subscription!.id }, withKey(keys.a))).subscription?.url, "https://example.com/hook");
  await client.deleteSubscription({ id: subscription!.id }, withKey(keys.a));
  t.is((await refusalOf(client.getSubscription({ id: subscription!.id }, withKey(keys.a)))).code, Code.NotFound);
});

test("delivery routes - each change is announced for its org once stored, before it is answered", async (t) => {
  const { orgs, keys, announced, client } = delivery();
  const { subscription } = await client.createSubscription({ url: "https://example.com/" }, withKey(keys.a));
  t.deepEqual(announced, [{ orgId: orgs.a, held: 1 }]);
  await client.deleteSubscription({ id: subscription!.id }, withKey(keys.a));
  t.deepEqual(announced.at(-1), { orgId: orgs.a, held: 0 });
});

test("delivery routes - a URL or event type the rules refuse is an invalid field, and nothing is stored or announced", async (t) => {
  const { store, keys, announced, client } = delivery();
  const refused = [
    { url: "ftp://example.com/" },
    { url: "https://user:pw@example.com/" },
    { url: "https://example.com/", eventTypes: ["not a type"] },
  ];
  for (const req of refused) {
    const { code, field } = await refusalOf(client.createSubscription(req, withKey(keys.a)));
    t.is(code, Code.InvalidArgument);
    t.is(field, req.eventTypes ? "event_types" : "url");
  }
  t.deepEqual(store.subscriptions, []);
  t.deepEqual(announced, []);
});

test("delivery routes - another org's subscription is not found, and deleting it changes nothing", async (t) => {
  const { store, keys, announced, client } = delivery();
  const { subscription } = await client.createSubscription({ url: "https://example.com/" }, withKey(keys.b));
  t.is((await refusalOf(client.getSubscription({ id: subscription!.id }, withKey(keys.a)))).code, Code.NotFound);
  t.is((await refusalOf(client.deleteSubscription({ id: subscription!.id }, withKey(keys.a)))).code, Code.NotFound);
  t.deepEqual((await client.listSubscriptions({}, withKey(keys.a))).subscriptions, []);
  t.is(store.subscriptions.length, 1);
  t.is(announced.length, 1);
});

test("delivery routes - attempts are listed for the caller's org only, and a malformed event id names its field", async (t) => {
  const { store, orgs, keys, client } = delivery();
  const eventId = uuidv7();
  const row = { event_id: eventId, subscription_id: uuidv7(), url: "https://example.com/", response_status: 200, error: "" };
  store.attempts.push({ ...row, id: uuidv7(), org_id: orgs.a, status: "succeeded", started_at: new Date(), duration_ms: 3 });
  const listed = await client.listAttempts({ eventId }, withKey(keys.a));
  t.like(listed.attempts[0], { eventId, status: AttemptStatus.SUCCEEDED, responseStatus: 200 });
  t.deepEqual((await client.listAttempts({ eventId }, withKey(keys.b))).attempts, []);
  t.deepEqual(await refusalOf(client.listAttempts({ eventId: "nope" }, withKey(keys.a))), {
    code: Code.InvalidArgument,
    field: "event_id",
  });
});
