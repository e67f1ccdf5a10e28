// Events published on the stream reaching webhooks, and the attempts recorded for them, against the real processes.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { USER_AGENT } from "../../services/delivery/webhook.js";
import { consumers, eventSubject, eventsStream } from "../../services/shared/streams.js";
import { request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack } from "./helpers.js";

let stack: DeliveryStack;

test.before(async () => {
  stack = await startDeliveryStack({ DELIVERY_TIMEOUT_MS: "3000", DELIVERY_RETRY_DELAY_MS: "200" });
});

test.after.always(async () => {
  await stack?.stop();
});

interface AttemptJson {
  id: string;
  event_id: string;
  subscription_id: string;
  url: string;
  status: string;
  response_status?: number;
  error?: string;
  started_at: string;
  duration_ms?: number;
}

const call = (method: string, body: unknown, key: string) =>
  request(stack.delivery.url, `/triggers.v1.DeliveryService/${method}`, { body, key });

async function subscribe(key: string, url: string, eventTypes: string[] = []): Promise<string> {
  const res = await call("CreateSubscription", { url, event_types: eventTypes }, key);
  if (res.status !== 200) throw new Error(`CreateSubscription answered ${res.status}`);
  return (res.body as { subscription: { id: string } }).subscription.id;
}

async function attempts(key: string, eventId: string): Promise<AttemptJson[]> {
  const res = await call("ListAttempts", { event_id: eventId }, key);
  return (res.body as { attempts?: AttemptJson[] }).attempts ?? [];
}

/** The event's first recorded attempt, once there is one. */
async function firstAttempt(key: string, eventId: string): Promise<AttemptJson> {
  const [attempt] = await eventually(async () => {
    const found = await attempts(key, eventId);
    return found.length ? found : undefined;
  });
  return attempt!;
}

/** Waits until the delivery consumer has acked everything up to the stream's last message. */
async function settled(): Promise<void> {
  const jsm = await stack.nc.jetstreamManager();
  await eventually(async () => {
    const { state } = await jsm.streams.info(eventsStream.name);
    const info = await jsm.consumers.info(eventsStream.name, consumers.delivery.durable_name!);
    return info.ack_floor.stream_seq >= state.last_seq ? true : undefined;
  });
}

// The stream and its consumer are shared by the file: run one at a time so that "settled" means this test's events.
test.serial("delivery - an event reaches every matching subscription once, with the expected body and headers", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const byType = await startReceiver();
  const everything = await startReceiver();
  const otherTypes = await startReceiver();
  t.teardown(() => Promise.all([byType.close(), everything.close(), otherTypes.close()]));
  const byTypeId = await subscribe(key, byType.url, ["order.created", "order.paid"]);
  const everythingId = await subscribe(key, everything.url);
  await subscribe(key, otherTypes.url, ["user.created"]);

  const event = newEvent("order.created", { order: { id: 42, items: ["a", "b"] } });
  await publishEvent(stack.js, orgId, event);
  await settled();

  t.is(byType.requests.length, 1);
  t.is(everything.requests.length, 1);
  t.is(otherTypes.requests.length, 0);
  const [received] = byType.requests;
  t.is(received!.method, "POST");
  t.is(received!.url, "/hook");
  t.is(received!.headers["content-type"], "application/json");
  t.is(received!.headers["user-agent"], USER_AGENT);
  t.is(received!.headers["webhook-id"], event.id);
  t.regex(received!.headers["webhook-timestamp"] as string, /^\d{10}$/);
  const { occurred_at, received_at, ...rest } = JSON.parse(received!.body) as Record<string, unknown>;
  t.deepEqual(rest, { id: event.id, type: "order.created", source: "tests", data: { order: { id: 42, items: ["a", "b"] } } });
  t.is(Date.parse(occurred_at as string), timestampDate(event.occurredAt!).getTime());
  t.is(Date.parse(received_at as string), timestampDate(event.receivedAt!).getTime());

  const recorded = await attempts(key, event.id);
  t.deepEqual(recorded.map((a) => a.subscription_id).sort(), [byTypeId, everythingId].sort());
  for (const attempt of recorded) {
    t.is(attempt.status, "ATTEMPT_STATUS_SUCCEEDED");
    t.is(attempt.response_status, 200);
    t.is(attempt.error, "");
    t.is(attempt.event_id, event.id);
  }
  t.is(recorded.find((a) => a.subscription_id === byTypeId)!.url, byType.url);
});

test.serial("delivery - an endpoint answering 500 gets a FAILED attempt with that status", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const failing = await startReceiver((_req, res) => {
    res.statusCode = 500;
    res.end("boom");
  });
  t.teardown(failing.close);
  await subscribe(key, failing.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  const attempt = await firstAttempt(key, event.id);
  t.is(attempt.status, "ATTEMPT_STATUS_FAILED");
  t.is(attempt.response_status, 500);
  t.is(failing.requests.length, 1);
});

test.serial("delivery - an unreachable endpoint gets a FAILED attempt with status 0", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const gone = await startReceiver();
  await gone.close();
  await subscribe(key, gone.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  const attempt = await firstAttempt(key, event.id);
  t.is(attempt.status, "ATTEMPT_STATUS_FAILED");
  t.is(attempt.response_status, 0);
  t.is(attempt.error, "connection refused");
});

test.serial("delivery - an endpoint that does not answer in time gets a FAILED timeout attempt", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const silent = await startReceiver(() => {});
  t.teardown(silent.close);
  await subscribe(key, silent.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  const attempt = await firstAttempt(key, event.id);
  t.is(attempt.status, "ATTEMPT_STATUS_FAILED");
  t.is(attempt.response_status, 0);
  t.is(attempt.error, "timeout");
});

test.serial("delivery - a redirect is recorded as FAILED and not followed", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const target = await startReceiver();
  const redirecting = await startReceiver((_req, res) => {
    res.writeHead(307, { location: target.url });
    res.end();
  });
  t.teardown(() => Promise.all([target.close(), redirecting.close()]));
  await subscribe(key, redirecting.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await settled();

  const [attempt] = await attempts(key, event.id);
  t.is(attempt!.status, "ATTEMPT_STATUS_FAILED");
  t.is(attempt!.response_status, 307);
  t.is(target.requests.length, 0);
});

test.serial("delivery - a redelivered event is not POSTed again to the same subscription", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  await subscribe(key, receiver.url);
  const event = newEvent("order.created");
  // Different msgIDs get past the stream's deduplication: the consumer sees the same event twice, maybe at once.
  await Promise.all([publishEvent(stack.js, orgId, event, uuidv7()), publishEvent(stack.js, orgId, event, uuidv7())]);
  await settled();
  await publishEvent(stack.js, orgId, event, uuidv7());
  await settled();

  t.is(receiver.requests.length, 1);
  t.is((await attempts(key, event.id)).length, 1);
});

test.serial("delivery - a message that is not an event is dropped without holding up the events after it", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  await subscribe(key, receiver.url);
  await stack.js.publish(eventSubject(orgId), new TextEncoder().encode("not a protobuf event"), { msgID: uuidv7() });
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await settled();

  t.is(receiver.requests.length, 1);
  t.is(JSON.parse(receiver.requests[0]!.body).id, event.id);
});

test.serial("delivery - a deleted subscription receives nothing", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  const id = await subscribe(key, receiver.url);
  t.is((await call("DeleteSubscription", { id }, key)).status, 200);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await settled();

  t.is(receiver.requests.length, 0);
  t.deepEqual(await attempts(key, event.id), []);
});

test.serial("delivery - an org's events and attempts stay within the org", async (t) => {
  const publisher = await stack.createOrg();
  const bystander = await stack.createOrg();
  const own = await startReceiver();
  const foreign = await startReceiver();
  t.teardown(() => Promise.all([own.close(), foreign.close()]));
  await subscribe(publisher.key, own.url);
  await subscribe(bystander.key, foreign.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, publisher.orgId, event);
  await settled();

  t.is(own.requests.length, 1);
  t.is(foreign.requests.length, 0);
  t.is((await attempts(publisher.key, event.id)).length, 1);
  t.deepEqual(await attempts(bystander.key, event.id), []);
});

test.serial("delivery - a slow endpoint does not hold up deliveries to others", async (t) => {
  const slowOrg = await stack.createOrg();
  const fastOrg = await stack.createOrg();
  const waiting: (() => void)[] = [];
  const slow = await startReceiver((_req, res) => waiting.push(() => res.end("late")));
  const fast = await startReceiver();
  t.teardown(() => Promise.all([slow.close(), fast.close()]));
  await subscribe(slowOrg.key, slow.url);
  await subscribe(fastOrg.key, fast.url);

  const slowEvent = newEvent("order.created");
  await publishEvent(stack.js, slowOrg.orgId, slowEvent);
  await eventually(() => (slow.requests.length ? true : undefined));
  await publishEvent(stack.js, fastOrg.orgId, newEvent("order.created"));
  await eventually(() => (fast.requests.length ? true : undefined));

  // The fast endpoint was served while the slow one still had its request open.
  t.is(waiting.length, 1);
  t.deepEqual(await attempts(slowOrg.key, slowEvent.id), []);
  waiting[0]!();
  const attempt = await firstAttempt(slowOrg.key, slowEvent.id);
  t.is(attempt.status, "ATTEMPT_STATUS_SUCCEEDED");
});
