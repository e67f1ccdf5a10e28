// The Zapier app run by zapier-platform-core's own tester against a running stack: the connection, the instant
// trigger over a real webhook, the polling trigger, the actions and the search, and its definition by the schema.
import { createRequire } from "node:module";
import test from "ava";
import { Webhook } from "standardwebhooks";
import { apiClient, request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { type ReceivedRequest, type Receiver, startReceiver } from "../../helpers/receiver.js";
import { type Stack, startStack } from "../../helpers/stack.js";

// The app is CommonJS, as Zapier loads it. zapier-platform-core reads NODE_ENV once, when loaded: under test, as
// `zapier test` runs it, it does not log each run's memory as it would on Zapier's servers.
process.env.NODE_ENV = "test";
const require = createRequire(import.meta.url);
const zapier = require("zapier-platform-core");
const { validateAppDefinition } = require("zapier-platform-schema");
const App = require("../../../integrations/zapier/index.js");
const appTester = zapier.createAppTester(App);

let stack: Stack;
let receiver: Receiver;

test.before(async () => {
  [stack, receiver] = await Promise.all([startStack(), startReceiver()]);
});

test.after.always(async () => {
  await Promise.all([stack?.stop(), receiver?.close()]);
});

/** A new org, and the bundle's connection to it as a user would make it. */
async function connected() {
  const org = await stack.createOrg(`Shop ${Math.random().toString(36).slice(2, 8)}`);
  return { ...org, api: apiClient(stack.gatewayUrl, org.key), authData: { api_url: `${stack.gatewayUrl}/`, api_key: org.key } };
}

/** Publishes the events one by one, so they arrive in this order, and waits until the inbox holds them all. */
async function publish(api: ReturnType<typeof apiClient>, events: object[]): Promise<string[]> {
  const ids: string[] = [];
  for (const event of events) ids.push((await api.post("/v1/events", event)).body.id);
  await eventually(
    async () => ((await api.get("/v1/inbox?status=all&limit=1000")).body.events.length >= ids.length ? true : undefined),
    "the events",
  );
  return ids;
}

/**
 * The request as Zapier hands it to perform, as its docs describe bundle.rawRequest: header names in Camel-Case,
 * all but Content-Type and Content-Length prefixed with "Http-", and the body as it came.
 */
function asZapierSees(received: ReceivedRequest) {
  const camel = (name: string) => name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
  const headers = Object.fromEntries(
    Object.entries(received.headers).map(([name, value]) => {
      const cased = camel(name);
      return [["Content-Type", "Content-Length"].includes(cased) ? cased : `Http-${cased}`, String(value)];
    }),
  );
  return {
    rawRequest: { method: received.method, querystring: "", headers, content: received.body },
    cleanedRequest: JSON.parse(received.body),
  };
}

test("zapier - the connection's test says who the key is, and the label names the org and the key", async (t) => {
  const { orgId, api, authData } = await connected();
  const reader = (await api.post("/v1/keys", { name: "zapier", scopes: ["events:read"] })).body.api_key;
  const me = await appTester(App.authentication.test, { authData: { ...authData, api_key: reader.secret } });
  t.like(me, { org: { id: orgId }, api_key: { id: reader.id, name: "zapier", scopes: ["events:read"] } });
  t.is(await appTester(App.authentication.connectionLabel, { authData, inputData: me }), `${me.org.name} (zapier)`);
});

test("zapier - the connection's test fails with a revoked key, saying why", async (t) => {
  const { api, authData } = await connected();
  const doomed = (await api.post("/v1/keys", { name: "doomed", scopes: ["events:read"] })).body.api_key;
  await api.delete(`/v1/keys/${doomed.id}`);
  const bundle = { authData: { ...authData, api_key: doomed.secret } };
  await eventually(
    async () => ((await request(stack.gatewayUrl, "/v1/me", { key: doomed.secret })).status === 401 ? true : undefined),
    "the key refused",
  );
  // zapier-platform-core's errors are made in its own realm: not an Error to ava.
  const error = (await t.throwsAsync(appTester(App.authentication.test, bundle), { any: true })) as Error;
  t.regex(error!.message, /unknown API key \(unauthenticated, HTTP 401\)/);
  t.is(error!.name, "ExpiredAuthError", "Zapier asks the user to reconnect");
});

test("zapier - New Event: subscribing creates a subscription, an event reaches perform by a real signed webhook, a tampered one is refused, unsubscribing deletes it", async (t) => {
  const { api, authData } = await connected();
  const subscribeData = await appTester(App.triggers.new_event.operation.performSubscribe, {
    authData,
    targetUrl: receiver.url,
    inputData: { event_types: ["order.*"] },
  });
  const listed = (await api.get("/v1/subscriptions")).body.subscriptions;
  t.like(listed, [{ id: subscribeData.id, url: receiver.url, event_types: ["order.*"] }]);

  const [userId, orderId] = await publish(api, [
    { type: "user.signed_up", data: { user: "u_1" } },
    { type: "order.created", source: "shop", data: { order_id: "o_1", total: 42 } },
  ]);
  const received = await eventually(() => receiver.requests.find((req) => req.body.includes(orderId!)), "the webhook");
  const hook = { authData, subscribeData, ...asZapierSees(received) };
  const [event] = await appTester(App.triggers.new_event.operation.perform, hook);
  t.like(event, {
    id: orderId,
    type: "order.created",
    source: "shop",
    data: { order_id: "o_1", total: 42 },
    data_json: '{"order_id":"o_1","total":42}',
  });
  t.truthy(event.received_at);
  // Deliveries follow the stream's order: once the later order's is recorded, the earlier user event was passed over.
  await eventually(
    async () =>
      (await api.get(`/v1/events/${orderId}/deliveries`)).body.deliveries[0]?.state === "DELIVERY_STATE_SUCCEEDED" ? true : undefined,
    "the order's delivery recorded",
  );
  t.deepEqual((await api.get(`/v1/events/${userId}/deliveries`)).body.deliveries, [], "only the chosen types are sent");
  t.false(receiver.requests.some((req) => req.body.includes(userId!)));

  // Zapier may run perform long after it answered the webhook (a held run, a replay): a genuine signature still holds.
  const anHourAgo = new Date(Date.now() - 3_600_000);
  const late = asZapierSees({
    ...received,
    headers: {
      ...received.headers,
      "webhook-timestamp": String(Math.floor(anHourAgo.getTime() / 1000)),
      "webhook-signature": new Webhook(subscribeData.secret).sign(String(received.headers["webhook-id"]), anHourAgo, received.body),
    },
  });
  t.like(await appTester(App.triggers.new_event.operation.perform, { ...hook, ...late }), [{ id: orderId }]);

  const tampered = { ...hook, rawRequest: { ...hook.rawRequest, content: hook.rawRequest.content.replace("42", "4200") } };
  const refused = await t.throwsAsync(appTester(App.triggers.new_event.operation.perform, tampered));
  t.regex(refused!.message, /did not sign/);
  const otherSecret = { ...hook, subscribeData: { ...subscribeData, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } };
  await t.throwsAsync(appTester(App.triggers.new_event.operation.perform, otherSecret), { message: /did not sign/ });

  await appTester(App.triggers.new_event.operation.performUnsubscribe, { authData, subscribeData });
  t.deepEqual((await api.get("/v1/subscriptions")).body.subscriptions, []);
  // Turning off a Zap whose subscription an admin deleted in Triggers meanwhile is no error.
  await t.notThrowsAsync(appTester(App.triggers.new_event.operation.performUnsubscribe, { authData, subscribeData }));
});

test("zapier - New Event's samples are recent events of the chosen types, newest first", async (t) => {
  const { api, authData } = await connected();
  const [created, , paid, signedUp] = await publish(api, [
    { type: "order.created" },
    { type: "invoice.sent" },
    { type: "order.paid" },
    { type: "user.signed_up" },
  ]);
  const list = (types: string[]) =>
    appTester(App.triggers.new_event.operation.performList, { authData, inputData: { event_types: types } });
  const ids = (events: { id: string }[]) => events.map((event) => event.id);
  t.deepEqual(ids(await list(["order.*"])), [paid, created]);
  t.deepEqual(ids(await list(["order.created", "user.signed_up"])), [signedUp, created]);
  t.is((await list([])).length, 4);
});

test("zapier - New Event (Polling) reads the inbox newest first, acknowledged events too, each id once", async (t) => {
  const { api, authData } = await connected();
  const ids = await publish(api, [{ type: "order.created" }, { type: "order.paid" }, { type: "user.signed_up" }]);
  await api.post(`/v1/events/${ids[0]}/ack`, {});
  const poll = (inputData: object) => appTester(App.triggers.new_event_polling.operation.perform, { authData, inputData });
  const all = await poll({});
  t.deepEqual(
    all.map((event: { id: string }) => event.id),
    [...ids].reverse(),
  );
  t.is(new Set(all.map((event: { id: string }) => event.id)).size, all.length);
  t.like(all[2], { id: ids[0], type: "order.created" });
  t.truthy(all[2].acked_at);
  t.deepEqual(
    (await poll({ event_type: "order.*" })).map((event: { type: string }) => event.type),
    ["order.paid", "order.created"],
  );
});

test("zapier - the event type dropdown lists the org's types once each, and no other org's", async (t) => {
  const { api, authData } = await connected();
  const other = await connected();
  await publish(other.api, [{ type: "invoice.sent" }]);
  await publish(api, [{ type: "order.paid" }, { type: "order.created" }, { type: "order.paid" }]);
  t.deepEqual(await appTester(App.triggers.event_type_list.operation.perform, { authData, meta: { page: 0 } }), [
    { id: "order.created", name: "order.created" },
    { id: "order.paid", name: "order.paid" },
  ]);
});

test("zapier - Publish Event run again with the same inputs stores one event; another Zap's run stores its own", async (t) => {
  const { api, authData } = await connected();
  const inputData = { type: "order.created", source: "zapier", data: '{"order_id":"o_7"}' };
  const run = (zap: string, extra: object = {}) =>
    appTester(App.creates.publish_event.operation.perform, { authData, inputData: { ...inputData, ...extra }, meta: { zap: { id: zap } } });
  const first = await run("101");
  const retried = await run("101");
  t.is(retried.id, first.id);
  t.like(retried, { duplicate: true });
  const otherZap = await run("202");
  t.not(otherZap.id, first.id);
  const keyed = await run("101", { idempotency_key: "order-o_7" });
  t.is((await run("303", { idempotency_key: "order-o_7" })).id, keyed.id);
  await eventually(async () => ((await api.get("/v1/inbox")).body.events.length === 3 ? true : undefined), "the three events");
  const stored = (await api.get(`/v1/events/${first.id}`)).body.event;
  t.like(stored, { type: "order.created", source: "zapier", data: { order_id: "o_7" } });
});

test("zapier - Publish Event refuses data that is not a JSON object, and a key without events:write, saying why", async (t) => {
  const { api, authData } = await connected();
  const publish = (data: string, bundle: object = {}) =>
    appTester(App.creates.publish_event.operation.perform, { authData, inputData: { type: "order.created", data }, meta: {}, ...bundle });
  await t.throwsAsync(publish("{not json"), { message: /Data is not JSON/ });
  await t.throwsAsync(publish("[1, 2]"), { message: /Data must be a JSON object/ });
  await t.throwsAsync(publish("{}", { inputData: { type: "not a type!" } }), { message: /type must be.*\(invalid_argument, HTTP 400\)/ });
  const reader = (await api.post("/v1/keys", { scopes: ["events:read"] })).body.api_key;
  await t.throwsAsync(publish("{}", { authData: { ...authData, api_key: reader.secret } }), { message: /events:write.*HTTP 403/ });
  t.deepEqual((await api.get("/v1/inbox?status=all")).body.events, []);
});

test("zapier - Acknowledge Event takes an event out of the inbox; Find Event finds it by id, and no other org's", async (t) => {
  const { api, authData } = await connected();
  const other = await connected();
  const [id] = await publish(api, [{ type: "order.created", data: { order_id: "o_9" } }]);
  const acked = await appTester(App.creates.acknowledge_event.operation.perform, { authData, inputData: { id } });
  t.like(acked, { id, type: "order.created", data: { order_id: "o_9" } });
  t.truthy(acked.acked_at);
  t.deepEqual((await api.get("/v1/inbox")).body.events, []);
  const find = (bundle: object) => appTester(App.searches.find_event.operation.perform, bundle);
  t.like(await find({ authData, inputData: { id } }), [{ id, acked_at: acked.acked_at }]);
  t.deepEqual(await find({ authData: other.authData, inputData: { id } }), []);
  await t.throwsAsync(find({ authData, inputData: { id: "nope" } }), { message: /HTTP 400/ });
  await t.throwsAsync(appTester(App.creates.acknowledge_event.operation.perform, { authData: other.authData, inputData: { id } }), {
    message: /HTTP 404/,
  });
});

test("zapier - the app's definition validates against zapier-platform-schema, as zapier validate checks it", async (t) => {
  const handler = zapier.createAppHandler(App);
  t.deepEqual((await handler({ command: "validate" }, {})).results, []);
  const { results: definition } = await handler({ command: "definition" }, {});
  t.deepEqual(validateAppDefinition(definition).errors, []);
  t.like(definition, { platformVersion: "19.1.0", triggers: { new_event: { operation: { type: "hook" } } } });
});
