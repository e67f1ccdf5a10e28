// Events on the stream reaching webhooks against the real processes: signed, retried on schedule, dead-lettered, paused, replayed.
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { Webhook } from "standardwebhooks";
import { v7 as uuidv7 } from "uuid";
import { DeadLetterSchema, DeliveryState } from "../../../gen/triggers/v1/delivery_pb.js";
import { USER_AGENT } from "../../../services/delivery/webhook/post.js";
import { consumers, deadLetterSubject, deadLettersStream, eventSubject, eventsStream } from "../../../services/shared/streams.js";
import { request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { type ReceivedRequest, startReceiver } from "../../helpers/receiver.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack } from "../helpers.js";

// Waits between attempts, as the stack is told: three attempts in all.
const schedule = [200, 400];
const pauseAfterFailures = 5;

let stack: DeliveryStack;

test.before(async () => {
  stack = await startDeliveryStack({
    DELIVERY_TIMEOUT_MS: "2000",
    DELIVERY_RETRY_SCHEDULE: schedule.map((ms) => `${ms}ms`).join(","),
    DELIVERY_POLL_INTERVAL_MS: "50",
    DELIVERY_PAUSE_AFTER_FAILURES: String(pauseAfterFailures),
  });
});

test.after.always(async () => {
  await stack?.stop();
});

interface AttemptJson {
  id: string;
  delivery_id: string;
  event_id: string;
  subscription_id: string;
  url: string;
  number: number;
  status: string;
  response_status?: number;
  error?: string;
  response_body?: string;
  started_at: string;
  duration_ms?: number;
  next_attempt_at?: string;
}

interface DeliveryJson {
  id: string;
  event_id: string;
  subscription_id: string;
  state: string;
  next_attempt_at?: string;
  attempts?: AttemptJson[];
}

const call = async (method: string, body: unknown, key: string) => {
  const res = await request(stack.delivery.url, `/triggers.v1.DeliveryService/${method}`, { body, key });
  if (res.status !== 200) throw new Error(`${method} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
};

async function subscribe(key: string, url: string, eventTypes: string[] = []): Promise<{ id: string; secret: string }> {
  const { subscription } = (await call("CreateSubscription", { url, event_types: eventTypes }, key)) as {
    subscription: { id: string; secret: string };
  };
  return subscription;
}

async function deliveriesOf(key: string, eventId: string): Promise<DeliveryJson[]> {
  return ((await call("ListEventDeliveries", { event_id: eventId }, key)).deliveries as DeliveryJson[] | undefined) ?? [];
}

/** The event's deliveries once there are `count` and none is pending any more. */
function settledDeliveries(key: string, eventId: string, count = 1): Promise<DeliveryJson[]> {
  return eventually(async () => {
    const found = await deliveriesOf(key, eventId);
    const pending = found.some((delivery) => delivery.state === "DELIVERY_STATE_PENDING");
    return found.length === count && !pending ? found : undefined;
  }, `${count} settled deliveries of ${eventId}`);
}

/** Waits until the delivery consumer has acked everything up to the stream's last message: its deliveries are stored. */
async function consumed(): Promise<void> {
  const jsm = await stack.nc.jetstreamManager();
  await eventually(async () => {
    const { state } = await jsm.streams.info(eventsStream.name);
    const info = await jsm.consumers.info(eventsStream.name, consumers.delivery.durable_name!);
    return info.ack_floor.stream_seq >= state.last_seq ? true : undefined;
  });
}

function verify(secret: string, received: ReceivedRequest): unknown {
  return new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
}

const elapsed = (from: string | undefined, to: string | undefined) => Date.parse(to!) - Date.parse(from!);

test.serial("delivery - an event reaches each matching subscription once, signed as Standard Webhooks says", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const byPattern = await startReceiver();
  const everything = await startReceiver();
  const otherTypes = await startReceiver();
  t.teardown(() => Promise.all([byPattern.close(), everything.close(), otherTypes.close()]));
  const patternSub = await subscribe(key, byPattern.url, ["order.*"]);
  const everythingSub = await subscribe(key, everything.url);
  await subscribe(key, otherTypes.url, ["user.created"]);

  const event = newEvent("order.item.added", { order: { id: 42, items: ["a", "b"] } });
  await publishEvent(stack.js, orgId, event);
  const deliveries = await settledDeliveries(key, event.id, 2);

  t.deepEqual(deliveries.map((d) => d.subscription_id).sort(), [patternSub.id, everythingSub.id].sort());
  t.true(deliveries.every((d) => d.state === "DELIVERY_STATE_SUCCEEDED" && d.attempts?.length === 1));
  t.is(otherTypes.requests.length, 0);
  const [received] = byPattern.requests;
  t.like(received, { method: "POST", url: "/hook" });
  t.like(received!.headers, { "content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": event.id });
  const payload = verify(patternSub.secret, received!) as Record<string, unknown>;
  const { occurred_at, received_at, ...rest } = payload;
  t.deepEqual(rest, { id: event.id, type: "order.item.added", source: "tests", data: { order: { id: 42, items: ["a", "b"] } } });
  t.is(Date.parse(occurred_at as string), timestampDate(event.occurredAt!).getTime());
  t.is(Date.parse(received_at as string), timestampDate(event.receivedAt!).getTime());
  t.notThrows(() => verify(everythingSub.secret, everything.requests[0]!));
  t.throws(() => verify(everythingSub.secret, received!), undefined, "one subscription's secret does not verify another's");
});

test.serial("delivery - a receiver that fails twice then succeeds gets exactly three attempts, each after its wait", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver((_req, res) => {
    res.statusCode = receiver.requests.length <= 2 ? 500 : 200;
    res.end(res.statusCode === 500 ? "not yet" : "ok");
  });
  t.teardown(receiver.close);
  const sub = await subscribe(key, receiver.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  const [delivery] = await settledDeliveries(key, event.id);
  t.is(delivery!.state, "DELIVERY_STATE_SUCCEEDED");
  const attempts = delivery!.attempts!;
  t.deepEqual(
    attempts.map((a) => [a.number, a.status, a.response_status, a.response_body]),
    [
      [1, "ATTEMPT_STATUS_FAILED", 500, "not yet"],
      [2, "ATTEMPT_STATUS_FAILED", 500, "not yet"],
      [3, "ATTEMPT_STATUS_SUCCEEDED", 200, "ok"],
    ],
  );
  for (const [i, wait] of schedule.entries()) {
    const [failed, next] = [attempts[i]!, attempts[i + 1]!];
    t.true(elapsed(failed.started_at, failed.next_attempt_at) >= wait, `attempt ${i + 1} scheduled the next after ${wait} ms`);
    t.true(elapsed(failed.next_attempt_at, next.started_at) >= 0, `attempt ${i + 2} came no earlier than scheduled`);
  }
  t.is(attempts[2]!.next_attempt_at, undefined, "a success schedules nothing");
  t.is(receiver.requests.length, 3);
  t.is(new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size, 1, "one webhook-id across retries");
  for (const received of receiver.requests) t.notThrows(() => verify(sub.secret, received));
});

test.serial("delivery - a receiver that always fails ends dead-lettered after the last attempt, then a replay delivers it", async (t) => {
  const { orgId, key } = await stack.createOrg();
  let answer = 503;
  const receiver = await startReceiver((_req, res) => {
    res.statusCode = answer;
    res.end();
  });
  t.teardown(receiver.close);
  const sub = await subscribe(key, receiver.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  const [failed] = await settledDeliveries(key, event.id);
  t.is(failed!.state, "DELIVERY_STATE_FAILED");
  t.is(failed!.attempts!.length, schedule.length + 1);
  t.is(failed!.next_attempt_at, undefined);
  const jsm = await stack.nc.jetstreamManager();
  // The relay sends it once the last attempt's transaction has committed (the outbox): soon after, not with it.
  const stored = await eventually(
    () => jsm.streams.getMessage(deadLettersStream.name, { last_by_subj: deadLetterSubject(orgId) }).catch(() => undefined),
    "the dead letter",
  );
  const letter = fromBinary(DeadLetterSchema, stored.data);
  t.like(letter, { orgId, reason: "every attempt failed" });
  t.like(letter.delivery, { id: failed!.id, eventId: event.id, subscriptionId: sub.id, state: DeliveryState.FAILED });

  answer = 200;
  const replayed = await call("ReplaySubscription", { id: sub.id, since: new Date(Date.now() - 60_000).toISOString() }, key);
  t.deepEqual(replayed, { replayed: 1 });
  const [delivered] = await settledDeliveries(key, event.id);
  t.is(delivered!.state, "DELIVERY_STATE_SUCCEEDED");
  t.is(delivered!.attempts!.length, schedule.length + 2);

  const retried = (await call("RetryDelivery", { id: delivered!.id }, key)).delivery as DeliveryJson;
  t.is(retried.state, "DELIVERY_STATE_PENDING");
  await eventually(() => (receiver.requests.length === schedule.length + 3 ? true : undefined), "the retried delivery");
  t.true(receiver.requests.every((r) => r.headers["webhook-id"] === event.id));
});

test.serial("delivery - a receiver's abort-message header ends the retries of that message at once", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver((_req, res) => res.writeHead(400, { "webhook-delivery": "abort-message" }).end());
  t.teardown(receiver.close);
  await subscribe(key, receiver.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  const [delivery] = await settledDeliveries(key, event.id);
  t.is(delivery!.state, "DELIVERY_STATE_FAILED");
  t.is(delivery!.attempts!.length, 1);
});

test.serial("delivery - a Retry-After on 429 puts the next attempt off for as long as it asks", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver((_req, res) => {
    if (receiver.requests.length === 1) res.writeHead(429, { "retry-after": "1" }).end();
    else res.end("ok");
  });
  t.teardown(receiver.close);
  await subscribe(key, receiver.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  const [delivery] = await settledDeliveries(key, event.id);
  const [first, second] = delivery!.attempts!;
  t.is(first!.response_status, 429);
  t.true(elapsed(first!.started_at, first!.next_attempt_at) >= 1000);
  t.true(elapsed(first!.next_attempt_at, second!.started_at) >= 0);
});

test.serial("delivery - 410 Gone disables the subscription and ends its delivery; the org's other subscriptions go on", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const gone = await startReceiver((_req, res) => res.writeHead(410).end());
  const healthy = await startReceiver();
  t.teardown(() => Promise.all([gone.close(), healthy.close()]));
  const goneSub = await subscribe(key, gone.url);
  await subscribe(key, healthy.url);
  const first = newEvent("order.created");
  await publishEvent(stack.js, orgId, first);
  const deliveries = await settledDeliveries(key, first.id, 2);
  t.is(deliveries.find((d) => d.subscription_id === goneSub.id)!.state, "DELIVERY_STATE_FAILED");
  // The subscription is stopped once the attempt is recorded, by the notices that follow it (notices/settled.ts).
  const disabled = await eventually(async () => {
    const { subscription } = (await call("GetSubscription", { id: goneSub.id }, key)) as { subscription: Record<string, string> };
    return subscription.state === "SUBSCRIPTION_STATE_DISABLED" ? subscription : undefined;
  }, "the disabled subscription");
  t.is(disabled.state_reason, "the endpoint answered 410 Gone");

  const second = newEvent("order.created");
  await publishEvent(stack.js, orgId, second);
  t.is((await settledDeliveries(key, second.id, 1))[0]!.state, "DELIVERY_STATE_SUCCEEDED", "only the healthy one gets it");
  t.is(gone.requests.length, 1);
});

test.serial(
  "delivery - failures in a row pause a subscription without slowing the others; enabling it delivers what piled up",
  async (t) => {
    const { orgId, key } = await stack.createOrg();
    let answer = 500;
    const flaky = await startReceiver((_req, res) => res.writeHead(answer).end());
    const healthy = await startReceiver();
    t.teardown(() => Promise.all([flaky.close(), healthy.close()]));
    const flakySub = await subscribe(key, flaky.url);
    await subscribe(key, healthy.url);

    const before = [newEvent("order.created"), newEvent("order.created")];
    for (const event of before) await publishEvent(stack.js, orgId, event);
    const paused = await eventually(async () => {
      const { subscription } = (await call("GetSubscription", { id: flakySub.id }, key)) as { subscription: Record<string, string> };
      return subscription.state === "SUBSCRIPTION_STATE_PAUSED" ? subscription : undefined;
    }, "the paused subscription");
    t.is(paused.state_reason, `${pauseAfterFailures} failed attempts in a row`);

    const during = [newEvent("order.created"), newEvent("order.created")];
    for (const event of during) await publishEvent(stack.js, orgId, event);
    await eventually(() => (healthy.requests.length === 4 ? true : undefined), "the healthy subscription's four events");
    const sentWhilePaused = flaky.requests.filter((r) => during.some((event) => event.id === r.headers["webhook-id"]));
    t.deepEqual(sentWhilePaused, [], "nothing is sent to a paused subscription");

    answer = 200;
    await call("UpdateSubscription", { id: flakySub.id, subscription: { enabled: true }, update_mask: "enabled" }, key);
    for (const event of during) {
      const delivery = (await settledDeliveries(key, event.id, 2)).find((d) => d.subscription_id === flakySub.id);
      t.is(delivery!.state, "DELIVERY_STATE_SUCCEEDED");
    }
    t.true(during.every((event) => flaky.requests.some((r) => r.headers["webhook-id"] === event.id)));
  },
);

test.serial("delivery - after a rotation each delivery is signed with both secrets, and either verifies it", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  const sub = await subscribe(key, receiver.url);
  const { subscription } = (await call("RotateSubscriptionSecret", { id: sub.id }, key)) as { subscription: { secret: string } };
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await settledDeliveries(key, event.id);

  const [received] = receiver.requests;
  t.is((received!.headers["webhook-signature"] as string).split(" ").length, 2);
  t.notThrows(() => verify(sub.secret, received!), "the old secret");
  t.notThrows(() => verify(subscription.secret, received!), "the new secret");
});

test.serial(
  "delivery - an unreachable endpoint, a timeout and a redirect are failed attempts, and the redirect is not followed",
  async (t) => {
    const { orgId, key } = await stack.createOrg();
    const closed = await startReceiver();
    await closed.close();
    const silent = await startReceiver(() => {});
    const target = await startReceiver();
    const redirecting = await startReceiver((_req, res) => res.writeHead(307, { location: target.url }).end());
    t.teardown(() => Promise.all([silent.close(), target.close(), redirecting.close()]));
    const subs = new Map([
      [(await subscribe(key, closed.url)).id, [0, "connection refused"]],
      [(await subscribe(key, silent.url)).id, [0, "timeout"]],
      [(await subscribe(key, redirecting.url)).id, [307, ""]],
    ]);
    const event = newEvent("order.created");
    await publishEvent(stack.js, orgId, event);

    for (const delivery of await settledDeliveries(key, event.id, 3)) {
      const [status, error] = subs.get(delivery.subscription_id)!;
      t.is(delivery.state, "DELIVERY_STATE_FAILED");
      t.like(delivery.attempts![0], { status: "ATTEMPT_STATUS_FAILED", response_status: status, error });
    }
    t.is(target.requests.length, 0);
  },
);

test.serial(
  "delivery - an event read twice from the stream is recorded once per subscription, and every POST of it carries its webhook-id",
  async (t) => {
    const { orgId, key } = await stack.createOrg();
    const receiver = await startReceiver();
    t.teardown(receiver.close);
    await subscribe(key, receiver.url);
    const event = newEvent("order.created");
    // Different msgIDs get past the stream's deduplication: the consumer sees the same event twice, maybe at once.
    await Promise.all([publishEvent(stack.js, orgId, event, uuidv7()), publishEvent(stack.js, orgId, event, uuidv7())]);
    await consumed();
    await publishEvent(stack.js, orgId, event, uuidv7());
    await consumed();

    const [delivery, ...others] = await settledDeliveries(key, event.id);
    t.deepEqual(others, []);
    t.is(delivery!.attempts!.length, 1);
    // A first attempt is sent before its delivery is written, so a copy may be sent again: receivers dedupe on webhook-id.
    t.true(receiver.requests.length >= 1);
    t.true(receiver.requests.every((r) => r.headers["webhook-id"] === event.id));
  },
);

test.serial("delivery - a message that is not an event is dropped without holding up the events after it", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  await subscribe(key, receiver.url);
  await stack.js.publish(eventSubject(orgId), new TextEncoder().encode("not a protobuf event"), { msgID: uuidv7() });
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await settledDeliveries(key, event.id);

  t.is(receiver.requests.length, 1);
  t.is(JSON.parse(receiver.requests[0]!.body).id, event.id);
});

test.serial("delivery - a deleted subscription receives nothing", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  const { id } = await subscribe(key, receiver.url);
  await call("DeleteSubscription", { id }, key);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await consumed();

  t.is(receiver.requests.length, 0);
  t.deepEqual(await deliveriesOf(key, event.id), []);
});

test.serial("delivery - an org's events and deliveries stay within the org", async (t) => {
  const publisher = await stack.createOrg();
  const bystander = await stack.createOrg();
  const own = await startReceiver();
  const foreign = await startReceiver();
  t.teardown(() => Promise.all([own.close(), foreign.close()]));
  await subscribe(publisher.key, own.url);
  const bystanderSub = await subscribe(bystander.key, foreign.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, publisher.orgId, event);
  const [delivery] = await settledDeliveries(publisher.key, event.id);

  t.is(own.requests.length, 1);
  t.is(foreign.requests.length, 0);
  t.deepEqual(await deliveriesOf(bystander.key, event.id), []);
  const foreignRetry = await request(stack.delivery.url, "/triggers.v1.DeliveryService/RetryDelivery", {
    body: { id: delivery!.id },
    key: bystander.key,
  });
  t.is(foreignRetry.status, 404);
  const listed = await call("ListSubscriptionDeliveries", { subscription_id: bystanderSub.id }, bystander.key);
  t.deepEqual(listed, { deliveries: [], next_cursor: "" });
});

test.serial("delivery - a subscription's deliveries are listed newest first, a page at a time, and by state", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  const sub = await subscribe(key, receiver.url);
  const events = [newEvent("a.b"), newEvent("a.b"), newEvent("a.b")];
  for (const event of events) await publishEvent(stack.js, orgId, event);
  for (const event of events) await settledDeliveries(key, event.id);

  const first = await call("ListSubscriptionDeliveries", { subscription_id: sub.id, limit: 2 }, key);
  const second = await call("ListSubscriptionDeliveries", { subscription_id: sub.id, limit: 2, cursor: first.next_cursor }, key);
  const listed = [...(first.deliveries as DeliveryJson[]), ...(second.deliveries as DeliveryJson[])];
  t.deepEqual(
    listed.map((d) => d.event_id),
    events.map((e) => e.id).reverse(),
  );
  t.is(second.next_cursor, "");
  const failedOnly = await call("ListSubscriptionDeliveries", { subscription_id: sub.id, state: "DELIVERY_STATE_FAILED" }, key);
  t.deepEqual(failedOnly, { deliveries: [], next_cursor: "" });
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
  waiting[0]!();
  const [delivery] = await settledDeliveries(slowOrg.key, slowEvent.id);
  t.is(delivery!.state, "DELIVERY_STATE_SUCCEEDED");
});

test.serial("delivery - metrics count attempts by outcome and status class, and show the pending and dead-letter depth", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver((_req, res) => res.writeHead(receiver.requests.length === 1 ? 502 : 200).end());
  t.teardown(receiver.close);
  await subscribe(key, receiver.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await settledDeliveries(key, event.id);

  const metrics = (await (await fetch(`${stack.delivery.adminUrl}/metrics`)).text()).split("\n");
  // A sample's value, by its name and labels in any order (the service label is added to every one).
  const value = (name: string, labels: string[] = []) => {
    const line = metrics.find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
    return Number(line?.split(" ").at(-1) ?? Number.NaN);
  };
  t.true(value("delivery_attempts_total", ['outcome="failed"', 'status_class="5xx"']) >= 1);
  t.true(value("delivery_attempts_total", ['outcome="succeeded"', 'status_class="2xx"']) >= 1);
  t.true(value("delivery_attempts_total", ['outcome="failed"', 'status_class="none"']) >= 1, "the earlier tests' timeouts");
  t.true(value("delivery_latency_seconds_count") >= 1);
  t.true(value("delivery_pending") >= 0);
  t.true(value("delivery_dead_letters") >= 1, "the earlier tests' dead letters");
});
