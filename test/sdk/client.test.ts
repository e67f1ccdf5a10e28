// The SDK against a running stack: every resource method, errors as TriggersError, retries, cancelling, verifying real webhooks.
import test from "ava";
import {
  Code,
  DeliveryState,
  ErrorReason,
  type Event,
  EventHistoryStatus,
  SubscriptionState,
  Triggers,
  type TriggersOptions,
  verifyWebhook,
  WebhookVerificationError,
} from "../../sdk/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { type ReceivedRequest, type Receiver, startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { rejection } from "./rejection.js";

let stack: Stack;

test.before(async () => {
  // One quick retry, so that a failing endpoint's delivery fails for good within the test.
  stack = await startStack({ env: { DELIVERY_RETRY_SCHEDULE: "100ms", DELIVERY_POLL_INTERVAL_MS: "50" } });
});

test.after.always(async () => {
  await stack?.stop();
});

async function newOrg(options: Partial<TriggersOptions> = {}): Promise<{ triggers: Triggers; orgId: string; key: string }> {
  const { orgId, key } = await stack.createOrg();
  return { triggers: new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key, ...options }), orgId, key };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

/** The org's pending events once the inbox holds `count`; publishes are in the inbox a moment after they answer. */
async function inboxOf(triggers: Triggers, count: number): Promise<Event[]> {
  return eventually(async () => {
    const events = await all(triggers.inbox.list({ limit: 1000 }));
    return events.length >= count ? events : undefined;
  }, `${count} events in the inbox`);
}

test("sdk - events are published one at a time and in a batch, read with their history, and deleted", async (t) => {
  const { triggers } = await newOrg();
  const published = await triggers.events.publish({
    type: "order.created",
    source: "shop",
    data: { order_id: 42 },
    occurredAt: "2026-11-30T10:00:00Z",
  });
  t.false(published.duplicate);
  const batch = await triggers.events.publishBatch([{ type: "order.paid", data: { order_id: 42 } }, { type: "bad type" }]);
  t.is(batch.results.length, 2);
  t.is(batch.results[0]?.result.case, "accepted");
  t.like(batch.results[1]?.result, { case: "error", value: { code: "invalid_argument", info: { field: "events[1].type" } } });

  await inboxOf(triggers, 2);
  const read = await triggers.events.get(published.id);
  t.like(read.event, { id: published.id, type: "order.created", source: "shop", data: { order_id: 42 } });
  t.is(read.event?.occurredAt?.seconds, BigInt(Date.parse("2026-11-30T10:00:00Z") / 1000));
  t.is(read.history[0]?.status, EventHistoryStatus.RECEIVED);

  await triggers.events.delete(published.id);
  t.is((await rejection(triggers.events.get(published.id))).status, 404);
});

test("sdk - the inbox lists every page as one iterator, filters, leases, and acknowledges one event or many", async (t) => {
  const { triggers } = await newOrg();
  const ids: string[] = [];
  for (const type of ["order.created", "order.paid", "user.created", "order.shipped", "user.deleted"]) {
    ids.push((await triggers.events.publish({ type })).id);
  }
  await inboxOf(triggers, ids.length);
  t.deepEqual(
    (await all(triggers.inbox.list({ limit: 2 }))).map((e) => e.id),
    ids,
    "three pages of at most two, in order",
  );
  t.deepEqual(
    (await all(triggers.inbox.list({ type: "user.*", order: "desc" }))).map((e) => e.id),
    [ids[4], ids[2]],
  );
  t.deepEqual(await all(triggers.inbox.eventTypes({ limit: 2 })), [
    "order.created",
    "order.paid",
    "order.shipped",
    "user.created",
    "user.deleted",
  ]);
  const page = await triggers.inbox.listPage({ limit: 2 });
  t.true(page.hasMore);
  t.deepEqual((await triggers.inbox.listPage({ cursor: page.nextCursor })).events.length, 3);

  const leased = await all(triggers.inbox.list({ limit: 2, lease: 60 }));
  t.deepEqual(
    leased.map((e) => e.id),
    ids.slice(0, 2),
    "a leased listing is one page",
  );
  const next = await all(triggers.inbox.list({ limit: 2, lease: 60 }));
  t.deepEqual(
    next.map((e) => e.id),
    ids.slice(2, 4),
    "another consumer's lease skips the leased events",
  );

  const acked = await triggers.inbox.ack(ids[0]!);
  t.is(acked.id, ids[0]!);
  t.truthy(acked.ackedAt);
  const many = await triggers.inbox.ackMany([ids[0]!, ids[1]!, ids[2]!, "01a244cc-0000-7000-8000-000000000000"]);
  t.like(many, { acked: 2, alreadyAcked: 1, unknownIds: ["01a244cc-0000-7000-8000-000000000000"] });
  t.deepEqual(
    (await all(triggers.inbox.list())).map((e) => e.id),
    ids.slice(3),
  );
  t.deepEqual(
    (await all(triggers.inbox.list({ status: "acked" }))).map((e) => e.id),
    ids.slice(0, 3),
  );
});

test("sdk - inbox settings are read and changed", async (t) => {
  const { triggers } = await newOrg();
  t.is((await triggers.inbox.getSettings()).retentionDays, 30);
  t.is((await triggers.inbox.updateSettings({ retentionDays: 90 })).retentionDays, 90);
  t.is((await triggers.inbox.getSettings()).retentionDays, 90);
});

test("sdk - subscriptions are created, listed, read, changed, given a new secret and deleted", async (t) => {
  const { triggers } = await newOrg();
  const created = await triggers.subscriptions.create({
    url: "http://127.0.0.1:9/hook",
    eventTypes: ["order.*"],
    description: "the warehouse",
  });
  t.like(created, {
    url: "http://127.0.0.1:9/hook",
    eventTypes: ["order.*"],
    description: "the warehouse",
    state: SubscriptionState.ACTIVE,
  });
  t.regex(created.secret ?? "", /^whsec_/);
  t.deepEqual(
    (await triggers.subscriptions.list()).map((s) => s.id),
    [created.id],
  );
  const read = await triggers.subscriptions.get(created.id);
  t.is(read.secret, undefined, "the secret is shown only when made");

  const changed = await triggers.subscriptions.update(created.id, { eventTypes: ["order.*", "user.created"], enabled: false });
  t.like(changed, { eventTypes: ["order.*", "user.created"], description: "the warehouse", state: SubscriptionState.DISABLED });
  t.is((await triggers.subscriptions.update(created.id, { enabled: true })).state, SubscriptionState.ACTIVE);

  const rotated = await triggers.subscriptions.rotateSecret(created.id);
  t.regex(rotated.secret ?? "", /^whsec_/);
  t.not(rotated.secret, created.secret);

  await triggers.subscriptions.delete(created.id);
  t.deepEqual(await triggers.subscriptions.list(), []);
  t.is((await rejection(triggers.subscriptions.get(created.id))).code, Code.NotFound);
});

test("sdk - deliveries are listed by event and by subscription, retried and replayed, with their attempts", async (t) => {
  const { triggers } = await newOrg();
  let failing = true;
  const hook = await startReceiver((_req, res) => res.writeHead(failing ? 500 : 200).end());
  t.teardown(() => hook.close());
  const subscription = await triggers.subscriptions.create({ url: hook.url });
  const first = await triggers.events.publish({ type: "order.created" });
  const second = await triggers.events.publish({ type: "order.paid" });

  const stateOf = async (eventId: string, state: DeliveryState) =>
    eventually(async () => {
      const [delivery] = await triggers.deliveries.listForEvent(eventId);
      return delivery?.state === state ? delivery : undefined;
    }, `the delivery of ${eventId} in state ${DeliveryState[state]}`);
  const failed = await stateOf(first.id, DeliveryState.FAILED);
  await stateOf(second.id, DeliveryState.FAILED);
  t.is(failed.subscriptionId, subscription.id);
  t.is(failed.attempts.length, 2, "the first attempt and the one retry of the schedule");
  t.is(failed.attempts[0]?.responseStatus, 500);

  const listed = await all(triggers.deliveries.listForSubscription(subscription.id, { limit: 1, state: DeliveryState.FAILED }));
  t.deepEqual(
    listed.map((d) => d.eventId),
    [second.id, first.id],
    "newest first, a page of one at a time",
  );
  const attempts = await triggers.deliveries.listAttempts(first.id);
  t.is(attempts.length, 2);

  failing = false;
  const retried = await triggers.deliveries.retry(failed.id);
  t.is(retried.id, failed.id);
  await stateOf(first.id, DeliveryState.SUCCEEDED);
  const replay = await triggers.subscriptions.replay(subscription.id, { since: new Date(Date.now() - 60_000) });
  t.is(replay.replayed, 1, "the one delivery still failed");
  await stateOf(second.id, DeliveryState.SUCCEEDED);
});

test("sdk - keys are made, listed, rotated and revoked, and the audit log lists each change", async (t) => {
  const { triggers } = await newOrg();
  const key = await triggers.keys.create({ name: "shop backend", scopes: ["events:write"], allowedCidrs: ["127.0.0.1/32"] });
  t.like(key, { name: "shop backend", scopes: ["events:write"], allowedCidrs: ["127.0.0.1/32"] });
  t.regex(key.secret ?? "", /^tk_test_/);
  t.true((await triggers.keys.list()).some((each) => each.id === key.id && each.secret === undefined));

  const publisher = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key.secret! });
  t.like(await publisher.keys.whoAmI(), { apiKey: { id: key.id, name: "shop backend", scopes: ["events:write"] } });
  t.false((await publisher.events.publish({ type: "order.created" })).duplicate);

  const { apiKey: successor, rotated } = await triggers.keys.rotate(key.id, { gracePeriodSeconds: 0 });
  t.not(successor?.id, key.id);
  t.is(rotated?.id, key.id);
  await triggers.keys.revoke(successor!.id);
  t.false((await triggers.keys.list()).some((each) => each.id === key.id || each.id === successor?.id));
  t.is((await rejection(publisher.events.publish({ type: "order.created" }))).status, 401);

  const actions = await eventually(async () => {
    const entries = await all(triggers.audit.list({ limit: 2 }));
    return entries.length >= 4 ? entries.map((entry) => entry.action) : undefined;
  }, "the audit entries");
  t.deepEqual(actions.slice(0, 3), ["key.revoked", "key.rotated", "key.created"]);
  t.deepEqual((await all(triggers.audit.list({ action: "key.created" }))).length, 1);
});

test("sdk - the operator creates an org and changes its plan with the admin token", async (t) => {
  const operator = new Triggers({ baseUrl: stack.gatewayUrl, adminToken: stack.adminToken });
  const { org, apiKey } = await operator.orgs.create({ name: "acme", plan: "pro" });
  t.like(org, { name: "acme", plan: "pro", eventsPerMinute: 1000 });
  const changed = await operator.orgs.update(org!.id, { plan: "custom", eventsPerMinute: 50_000 });
  t.like(changed, { id: org!.id, plan: "custom", eventsPerMinute: 50_000 });

  const member = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: apiKey!.secret! });
  const refused = await rejection(member.orgs.create({ name: "not mine" }));
  t.like(refused, { status: 403, code: Code.PermissionDenied });
});

test("sdk - a malformed event is a TriggersError with status 400, its code, reason, field and request id", async (t) => {
  const { triggers } = await newOrg();
  const err = await rejection(triggers.events.publish({ type: "bad type" }));
  t.like(err, { name: "TriggersError", status: 400, code: Code.InvalidArgument, reason: ErrorReason.INVALID_FIELD, field: "type" });
  t.regex(err.message, /^type must be/);
  t.regex(err.requestId ?? "", /^[0-9a-f-]{36}$/);
  const late = await rejection(triggers.inbox.listPage({ wait: 31 }));
  t.like(late, { status: 400, reason: ErrorReason.INVALID_FIELD, field: "wait" });
});

test("sdk - an unknown key is a TriggersError with status 401 and code unauthenticated", async (t) => {
  const stranger = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: "tk_test_AbCdEfGh1234_0123456789abcdefghijABCDEFGHIJ010ChEzD" });
  const err = await rejection(stranger.inbox.listPage());
  t.like(err, { status: 401, code: Code.Unauthenticated, reason: undefined, field: undefined });
  t.truthy(err.requestId);
});

test("sdk - another org's event is not found, and a key without the scope is refused naming the reason", async (t) => {
  const mine = await newOrg();
  const theirs = await newOrg();
  const theirEvent = await theirs.triggers.events.publish({ type: "order.created" });
  await inboxOf(theirs.triggers, 1);
  t.like(await rejection(mine.triggers.events.get(theirEvent.id)), { status: 404, code: Code.NotFound });
  t.like(await rejection(mine.triggers.inbox.ack(theirEvent.id)), { status: 404, code: Code.NotFound });

  const writeOnly = await mine.triggers.keys.create({ scopes: ["events:write"] });
  const publisher = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: writeOnly.secret! });
  const err = await rejection(publisher.inbox.listPage());
  t.like(err, { status: 403, code: Code.PermissionDenied, reason: ErrorReason.MISSING_SCOPE });
  t.regex(err.message, /events:read/);
});

/**
 * A fetch whose first call of an IngestService method reaches the gateway, which stores what it was sent, but whose
 * answer is lost and replaced by `instead`, as a proxy's 503 might; calls() counts the method's calls.
 */
function losingTheFirstAnswer(method: string, instead: () => Response) {
  let calls = 0;
  const lossy: typeof fetch = async (input, init) => {
    const answer = await fetch(input, init);
    if (!String(input).endsWith(`/triggers.v1.IngestService/${method}`) || calls++ > 0) return answer;
    await answer.arrayBuffer();
    return instead();
  };
  return { fetch: lossy, calls: () => calls };
}

test("sdk - a publish retried after a 503 stores one event", async (t) => {
  const lossy = losingTheFirstAnswer("PublishEvent", () => Response.json({ code: "unavailable", message: "injected" }, { status: 503 }));
  const { triggers } = await newOrg({ fetch: lossy.fetch });
  const published = await triggers.events.publish({ type: "order.created", data: { order_id: 42 } });
  t.is(lossy.calls(), 2);
  t.true(published.duplicate, "the retry found the event the first attempt stored");
  const marker = await triggers.events.publish({ type: "marker" });
  const events = await eventually(async () => {
    const listed = await all(triggers.inbox.list());
    return listed.some((e) => e.id === marker.id) ? listed : undefined;
  }, "the marker in the inbox");
  t.deepEqual(
    events.filter((e) => e.type === "order.created").map((e) => e.id),
    [published.id],
  );
});

test("sdk - a batch retried after a 503 stores each event once", async (t) => {
  const lossy = losingTheFirstAnswer(
    "PublishEvents",
    () => new Response("upstream unavailable", { status: 503, headers: { "content-type": "text/plain" } }),
  );
  const { triggers } = await newOrg({ fetch: lossy.fetch });
  const { results } = await triggers.events.publishBatch([{ type: "a.one" }, { type: "a.two" }]);
  t.is(lossy.calls(), 2);
  t.deepEqual(
    results.map((r) => r.result.case === "accepted" && r.result.value.duplicate),
    [true, true],
  );
  const marker = await triggers.events.publish({ type: "marker" });
  const events = await eventually(async () => {
    const listed = await all(triggers.inbox.list());
    return listed.some((e) => e.id === marker.id) ? listed : undefined;
  }, "the marker in the inbox");
  t.deepEqual(
    events.map((e) => e.type),
    ["a.one", "a.two", "marker"],
  );
});

test("sdk - a rate-limited publish is a 429 with Retry-After, and by default waits that long and is stored", async (t) => {
  const operator = new Triggers({ baseUrl: stack.gatewayUrl, adminToken: stack.adminToken });
  const { apiKey } = await operator.orgs.create({ name: "small", plan: "free" });
  const impatient = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: apiKey!.secret!, maxRetryAfterSeconds: 0 });
  await impatient.events.publishBatch(Array.from({ length: 100 }, () => ({ type: "order.created" })));
  // The bucket refills as time passes (an event every 0.6 s): on a slow machine a publish or two may still fit.
  const err = await rejection(
    (async () => {
      for (let i = 0; i < 20; i++) await impatient.events.publish({ type: "order.created" });
    })(),
  );
  t.like(err, { status: 429, code: Code.ResourceExhausted, reason: ErrorReason.RATE_LIMITED, rateLimit: { limit: 100, remaining: 0 } });
  t.true((err.retryAfterSeconds ?? 0) > 0);

  const patient = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: apiKey!.secret! });
  let rateLimit: unknown;
  await patient.events.publish({ type: "order.created" }, { onResponse: (info) => (rateLimit = info.rateLimit) });
  t.like(rateLimit, { limit: 100 });
});

test("sdk - answers tell their request id and the org's rate limit", async (t) => {
  const seen: Array<{ requestId: string | undefined; limit: number | undefined }> = [];
  const { triggers } = await newOrg({ onResponse: (info) => seen.push({ requestId: info.requestId, limit: info.rateLimit?.limit }) });
  await triggers.events.publish({ type: "order.created" });
  await triggers.inbox.listPage();
  t.is(seen.length, 2);
  t.regex(seen[0]?.requestId ?? "", /^[0-9a-f-]{36}$/);
  t.is(seen[0]?.limit, 10_000_000);
  t.is(seen[1]?.limit, undefined, "only publishes count against the plan");
});

test("sdk - a long-poll is cancelled by its AbortSignal", async (t) => {
  const { triggers } = await newOrg();
  const controller = new AbortController();
  const polling = triggers.inbox.listPage({ wait: 30 }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 200);
  const err = await rejection(polling);
  t.like(err, { code: Code.Canceled, status: undefined });
  t.like(await rejection(triggers.inbox.listPage({}, { signal: controller.signal })), { code: Code.Canceled });
});

/** The first webhook the receiver got for an event. */
async function webhookOf(hook: Receiver, eventId: string): Promise<ReceivedRequest> {
  return eventually(() => hook.requests.find((r) => r.headers["webhook-id"] === eventId), `the webhook of ${eventId}`);
}

test("sdk - verifyWebhook accepts a real delivery and refuses a changed body, a stale timestamp and another secret", async (t) => {
  const { triggers } = await newOrg();
  const hook = await startReceiver();
  t.teardown(() => hook.close());
  const { secret } = await triggers.subscriptions.create({ url: hook.url });
  const other = await triggers.subscriptions.create({ url: "http://127.0.0.1:9/hook", eventTypes: ["nothing.*"] });
  const published = await triggers.events.publish({ type: "order.created", data: { order_id: 42, total: "19.90" } });
  const webhook = await webhookOf(hook, published.id);

  const event = await verifyWebhook(secret!, webhook.headers, webhook.body);
  t.like(event, { id: published.id, type: "order.created", data: { order_id: 42, total: "19.90" } });
  t.is(event.receivedAt?.seconds, published.receivedAt?.seconds);
  t.truthy(await verifyWebhook(secret!, webhook.headers, new TextEncoder().encode(webhook.body)), "the body as bytes");

  const changed = webhook.body.replace("19.90", "0.01");
  await t.throwsAsync(verifyWebhook(secret!, webhook.headers, changed), {
    instanceOf: WebhookVerificationError,
    message: /no signature matches/,
  });
  const later = new Date(Date.now() + 6 * 60_000);
  await t.throwsAsync(verifyWebhook(secret!, webhook.headers, webhook.body, { now: later }), {
    instanceOf: WebhookVerificationError,
    message: /too old/,
  });
  await t.throwsAsync(verifyWebhook(other.secret!, webhook.headers, webhook.body), { instanceOf: WebhookVerificationError });
});

test("sdk - verifyWebhook accepts deliveries signed during a secret rotation with the old secret, the new one, or both", async (t) => {
  const { triggers } = await newOrg();
  const hook = await startReceiver();
  t.teardown(() => hook.close());
  const { id, secret: old } = await triggers.subscriptions.create({ url: hook.url });
  const { secret: fresh } = await triggers.subscriptions.rotateSecret(id);
  const published = await triggers.events.publish({ type: "order.created" });
  const webhook = await webhookOf(hook, published.id);
  t.is(String(webhook.headers["webhook-signature"]).split(" ").length, 2, "signed with each secret");

  for (const secrets of [old!, fresh!, [fresh!, old!]]) {
    t.is((await verifyWebhook(secrets, webhook.headers, webhook.body)).id, published.id);
  }
  const stranger = await triggers.subscriptions.create({ url: "http://127.0.0.1:9/hook", eventTypes: ["nothing.*"] });
  await t.throwsAsync(verifyWebhook([stranger.secret!], webhook.headers, webhook.body), { instanceOf: WebhookVerificationError });
});
