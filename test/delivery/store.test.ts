// The delivery stores against a real Postgres: one delivery per event and subscription, leases that free what a dead worker held, parking.
import { randomBytes } from "node:crypto";
import test from "ava";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import type { TakenDelivery } from "../../services/delivery/deliveries.js";
import { createDeliveryStore } from "../../services/delivery/delivery-store.js";
import { trimmedMessages } from "../../services/delivery/history/parked-backlogs.js";
import { SecretBox, UnreadableSecret } from "../../services/delivery/subscriptions/secret-box.js";
import { createSubscriptionStore, type SubscriptionRow } from "../../services/delivery/subscriptions/store.js";
import type { AttemptOutcome } from "../../services/delivery/webhook/post.js";
import type { Verdict } from "../../services/delivery/webhook/retry-policy.js";
import { connectDatabase, migrate, type Sql } from "../../services/shared/database.js";
import { eventually } from "../helpers/eventually.js";
import { createDatabase } from "../helpers/throwaway.js";
import { firstAttemptRecord } from "./first-attempts.js";

let sql: Sql;
let drop: () => Promise<void>;
let deliveries: ReturnType<typeof createDeliveryStore>;
let subscriptions: ReturnType<typeof createSubscriptionStore>;

test.before(async () => {
  const database = await createDatabase();
  drop = database.drop;
  const logger = pino({ level: "silent" });
  sql = connectDatabase(database.url, logger);
  await migrate(sql, "delivery", new URL("../../services/delivery/migrations/", import.meta.url), logger);
  const box = new SecretBox(randomBytes(32));
  deliveries = createDeliveryStore(sql, box);
  subscriptions = createSubscriptionStore(sql, box);
});

test.after.always(async () => {
  await sql?.end();
  await drop?.();
});

const failed: AttemptOutcome = {
  status: "failed",
  responseStatus: 500,
  error: "",
  responseBody: "no",
  durationMs: 3,
  retryAfterMs: 0,
  abort: false,
};

// What an RPC would write to the audit log is not under test here.
const nothingToAudit = async () => {};
// Nor, mostly, the messages a change writes to the outbox.
const noMessages = () => [];

/** A subscription of its own org, and a delivery of a new event to it, due in dueInMs (null: parked). */
async function newDelivery(dueInMs: number | null = 0) {
  const orgId = uuidv7();
  const sub = await subscriptions.createSubscription(
    {
      id: uuidv7(),
      orgId,
      url: "https://example.com/",
      eventTypes: [],
      description: "",
      secret: "whsec_AAAA",
    },
    nothingToAudit,
  );
  const delivery = { id: uuidv7(), orgId, eventId: uuidv7(), eventType: "order.created", subscriptionId: sub.id, dueInMs };
  const created = await deliveries.addDeliveries([{ eventId: delivery.eventId, orgId, body: '{"n":1}', requestId: "" }], [delivery]);
  return { orgId, sub, delivery, created };
}

// Other tests' deliveries are due too: a worker here looks only at its own.
async function take(subscriptionId: string, leaseMs = 60_000): Promise<TakenDelivery[]> {
  return (await deliveries.takeDue(1000, 10, [], leaseMs)).filter((taken) => taken.subscriptionId === subscriptionId);
}

/** Locks the subscription's row in a transaction of its own until `until` settles; resolves once it is held. */
async function holdSubscription(subscriptionId: string, until: Promise<void>): Promise<{ done: Promise<unknown> }> {
  let held!: () => void;
  const isHeld = new Promise<void>((resolve) => (held = resolve));
  const done = sql.begin(async (tx) => {
    await tx`select from delivery.subscriptions where id = ${subscriptionId} for update`;
    held();
    await until;
  });
  await isHeld;
  return { done };
}

/** How many of this database's sessions wait for a lock. */
async function waitingOnLocks(): Promise<number> {
  const [row] = await sql<{ waiting: number }[]>`
    select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
  return row!.waiting;
}

/** Records one failed attempt of the taken delivery, with the given verdict. */
function record(taken: TakenDelivery, verdict: Parameters<typeof deliveries.recordAttempts>[0][number]["verdict"]) {
  const attempt = { delivery: taken, attemptId: uuidv7(), startedAt: new Date(), outcome: failed, verdict };
  return deliveries.recordAttempts([attempt], [{ id: taken.subscriptionId, failuresSinceSuccess: 1, succeeded: false }], noMessages);
}

test.serial("delivery store - a redelivered stream message adds no second delivery of an event to a subscription", async (t) => {
  const { orgId, delivery, created } = await newDelivery();
  t.true(created.has(delivery.id));
  const again = await deliveries.addDeliveries(
    [{ eventId: delivery.eventId, orgId, body: "{}", requestId: "" }],
    [{ ...delivery, id: uuidv7() }],
  );
  t.is(again.size, 0);
  t.is((await deliveries.eventDeliveries(orgId, delivery.eventId)).length, 1);
});

test.serial("delivery store - a due delivery is taken by one worker, with its body and secret, and by no other while held", async (t) => {
  const { sub, delivery } = await newDelivery();
  const [first, second] = await Promise.all([take(sub.id), take(sub.id)]);
  t.is(first!.length + second!.length, 1);
  t.like([...first!, ...second!][0], { id: delivery.id, attemptCount: 0, body: '{"n":1}', secrets: ["whsec_AAAA"] });
  t.deepEqual(await take(sub.id), []);
});

test.serial("delivery store - a delivery whose worker died is taken again once its lease is over", async (t) => {
  const { sub, delivery } = await newDelivery();
  t.is((await take(sub.id, 0)).length, 1, "taken with a lease that is over at once, as if its worker died");
  t.deepEqual(
    (await take(sub.id)).map((taken) => taken.id),
    [delivery.id],
  );
});

test.serial(
  "delivery store - a retry is due at the time its verdict set; an outcome for a delivery that moved on is not recorded",
  async (t) => {
    const { orgId, sub, delivery } = await newDelivery();
    const [taken] = await take(sub.id);
    const recorded = await record(taken!, { state: "pending", retryInMs: 3_600_000 });
    const [settled] = recorded.settled;
    t.is(settled!.attempt_count, 1);
    t.true(settled!.next_attempt_at! > new Date(Date.now() + 3_500_000));
    t.deepEqual(recorded.outcomes, [], "a pending delivery has no outcome yet");
    t.deepEqual(recorded.failuresInARow, [{ id: sub.id, consecutive_failures: 1 }]);
    t.deepEqual(
      (await record(taken!, { state: "pending", retryInMs: 0 })).settled,
      [],
      "the same attempt number again is a worker that lost its lease",
    );
    const [listed] = await deliveries.eventDeliveries(orgId, delivery.eventId);
    t.is(listed!.attempts.length, 1);
    t.like(listed!.attempts[0], { number: 1, status: "failed", response_status: 500, response_body: "no" });
  },
);

test.serial("delivery store - a take leases only what it answers: the rest stay due for the next take", async (t) => {
  // Earlier tests' due deliveries are taken out of the way first: only this test's two are then due.
  await deliveries.takeDue(10_000, 10_000, [], 60_000);
  const { sub, delivery } = await newDelivery();
  const orgId = sub.org_id;
  const second = { ...delivery, id: uuidv7(), eventId: uuidv7() };
  await deliveries.addDeliveries([{ eventId: second.eventId, orgId, body: "{}", requestId: "" }], [second]);
  const first = await deliveries.takeDue(1, 10, [], 60_000);
  t.is(first.length, 1);
  const rest = await take(sub.id);
  t.deepEqual([...first, ...rest].map((taken) => taken.id).sort(), [delivery.id, second.id].sort());
});

test.serial("delivery store - a paused subscription's deliveries are parked, and enabling it makes them due at once", async (t) => {
  const { orgId, sub } = await newDelivery();
  const [taken] = await take(sub.id, 0);
  const { failuresInARow } = await record(taken!, { state: "pending", retryInMs: 0 });
  const changed = await subscriptions.stopSubscriptions([], [failuresInARow[0]!.id], noMessages);
  t.like(changed[0], { id: sub.id, state: "paused", state_reason: "1 failed attempts in a row" });
  t.deepEqual(await take(sub.id), [], "its due delivery is parked");
  await subscriptions.updateSubscription(orgId, sub.id, { enabled: true }, nothingToAudit);
  t.is((await take(sub.id)).length, 1);
});

test.serial("delivery store - a failed delivery is replayed from a time on, and only the org's own", async (t) => {
  const { orgId, sub, delivery } = await newDelivery();
  const [taken] = await take(sub.id);
  const { outcomes } = await record(taken!, { state: "failed", reason: "exhausted" });
  t.like(outcomes, [{ event_id: delivery.eventId, org_id: orgId, status: "failed" }]);
  t.is(await deliveries.replayFailed(uuidv7(), sub.id, new Date(0), nothingToAudit), 0);
  t.is(await deliveries.replayFailed(orgId, sub.id, new Date(Date.now() + 60_000), nothingToAudit), 0);
  t.is(await deliveries.replayFailed(orgId, sub.id, new Date(0), nothingToAudit), 1);
  t.deepEqual(
    (await take(sub.id)).map((again) => [again.id, again.attemptCount]),
    [[delivery.id, 1]],
  );
});

test.serial("delivery store - a retry or a replay whose audit entry cannot be written is undone", async (t) => {
  const { orgId, sub, delivery } = await newDelivery();
  const [taken] = await take(sub.id);
  await record(taken!, { state: "failed", reason: "exhausted" });
  const auditDown = async () => {
    throw new Error("the audit stream is unreachable");
  };
  await t.throwsAsync(deliveries.retryDelivery(orgId, delivery.id, auditDown), { message: /audit/ });
  await t.throwsAsync(deliveries.replayFailed(orgId, sub.id, new Date(0), auditDown), { message: /audit/ });
  t.like((await deliveries.eventDeliveries(orgId, delivery.eventId))[0], { state: "failed" });
  t.deepEqual(await take(sub.id), []);
});

test.serial("delivery store - recorded attempts and the messages telling of them are written together, or neither is", async (t) => {
  const { sub } = await newDelivery(null);
  const outbox = async () => (await sql`select subject, message_id from delivery.outbox where message_id like ${`${sub.id}%`}`).length;
  const told = (messageId: string) => () => [{ subject: "deadletters.x", data: new Uint8Array([1]), messageId }];
  const undone = firstAttempt(sub, failed, { state: "failed", reason: "exhausted" });
  const broken = () => {
    throw new Error("the messages could not be made");
  };
  await t.throwsAsync(deliveries.recordAttempts([undone], [], broken), { message: /could not be made/ });
  t.deepEqual(await deliveries.eventDeliveries(sub.org_id, undone.delivery.eventId), []);
  const recorded = firstAttempt(sub, failed, { state: "failed", reason: "exhausted" });
  await deliveries.recordAttempts([recorded], [], told(`${sub.id}.1`));
  t.like(await deliveries.eventDeliveries(sub.org_id, recorded.delivery.eventId), [{ state: "failed" }]);
  t.is(await outbox(), 1);
  await sql`delete from delivery.outbox where message_id like ${`${sub.id}%`}`;
});

test.serial(
  "delivery store - a renewal moves the end of held leases, only of deliveries still held at the count they were taken with",
  async (t) => {
    const leaseEnd = async (id: string) =>
      (
        await sql<
          { ms: number }[]
        >`select extract(epoch from next_attempt_at - now()) * 1000 as ms from delivery.deliveries where id = ${id}`
      )[0]!.ms;
    const held = await newDelivery();
    const [taken] = await take(held.sub.id, 2_000);
    const retried = await newDelivery();
    const [recorded] = await take(retried.sub.id, 2_000);
    await record(recorded!, { state: "pending", retryInMs: 60_000 });
    const lapsed = await newDelivery();
    await take(lapsed.sub.id, 0);

    await deliveries.renewLeases(
      new Map([
        [taken!.id, taken!.attemptCount],
        [recorded!.id, recorded!.attemptCount],
        [lapsed.delivery.id, 0],
      ]),
      15_000,
    );
    t.true((await leaseEnd(taken!.id)) > 10_000, "the held lease is renewed");
    t.true((await leaseEnd(recorded!.id)) > 50_000, "a recorded delivery keeps its retry's time");
    t.true((await leaseEnd(lapsed.delivery.id)) <= 0, "a lapsed lease is not taken back");
  },
);

test.serial("delivery store - forgetting expired events deletes their deliveries, attempts and bodies, of that org only", async (t) => {
  const { orgId, sub, delivery } = await newDelivery();
  const [taken] = await take(sub.id);
  await record(taken!, { state: "failed", reason: "exhausted" });
  const other = await newDelivery();
  t.is(await deliveries.forgetEvents(other.orgId, [delivery.eventId]), 0, "another org's events are not its to forget");
  t.is(await deliveries.forgetEvents(orgId, [delivery.eventId]), 1);
  t.deepEqual(await deliveries.eventDeliveries(orgId, delivery.eventId), []);
  t.is((await sql`select from delivery.attempts where event_id = ${delivery.eventId}`).length, 0);
  t.is((await sql`select from delivery.messages where event_id = ${delivery.eventId}`).length, 0);
  t.is((await deliveries.eventDeliveries(other.orgId, other.delivery.eventId)).length, 1);
});

test.serial("delivery store - tombstones of deleted events go once the stream can no longer bring the events back", async (t) => {
  const [old, recent] = [uuidv7(), uuidv7()];
  await sql`insert into delivery.cancelled_events (event_id, org_id, cancelled_at) values
    (${old}, ${uuidv7()}, now() - interval '9 days'), (${recent}, ${uuidv7()}, now() - interval '7 days')`;
  t.true((await deliveries.pruneCancelled(8)) >= 1);
  const left = await sql<{ event_id: string }[]>`select event_id from delivery.cancelled_events where event_id in ${sql([old, recent])}`;
  t.deepEqual(
    left.map((row) => row.event_id),
    [recent],
  );
});

test.serial(
  "delivery store - a stopped subscription's backlog past the limit loses its oldest, dead-lettered and told; an active one keeps all",
  async (t) => {
    const paused = await newDelivery(null);
    const active = await newDelivery(null);
    const more = async ({ orgId, sub }: typeof paused, count: number) => {
      const added = Array.from({ length: count }, () => ({
        id: uuidv7(),
        orgId,
        eventId: uuidv7(),
        eventType: "order.created",
        subscriptionId: sub.id,
        dueInMs: null,
      }));
      await deliveries.addDeliveries(
        added.map(({ eventId }) => ({ eventId, orgId, body: "{}", requestId: "" })),
        added,
      );
      return added.map(({ id }) => id);
    };
    const newest = await more(paused, 4);
    await more(active, 4);
    await subscriptions.stopSubscriptions([], [paused.sub.id], noMessages);

    const before = (await sql`select max(id) as id from delivery.outbox`)[0]!.id ?? 0;
    t.is(await deliveries.trimParked(2, trimmedMessages), 3);
    const states = await sql<{ id: string; state: string }[]>`
    select id, state from delivery.deliveries where subscription_id = ${paused.sub.id} order by created_at, id`;
    t.deepEqual(
      states.filter((row) => row.state === "pending").map((row) => row.id),
      newest.slice(2),
      "the two newest wait",
    );
    t.is((await sql`select from delivery.deliveries where subscription_id = ${active.sub.id} and state = 'pending'`).length, 5);
    const told = await sql<{ subject: string }[]>`select subject from delivery.outbox where id > ${before} order by id`;
    t.deepEqual(
      told.map(({ subject }) => subject.split(".")[0]),
      ["deadletters", "deadletters", "deadletters", "delivery", "events"],
    );
    await sql`delete from delivery.outbox where id > ${before}`;
  },
);

/** A first attempt sent straight from the stream to the subscription, of a new event (or the one given), not yet written. */
function firstAttempt(sub: SubscriptionRow, outcome: AttemptOutcome, verdict: Verdict, eventId?: string) {
  return firstAttemptRecord(sub, outcome, verdict, { eventId, body: '{"n":2}', requestId: "req-1" });
}

const succeeded: AttemptOutcome = { ...failed, status: "succeeded", responseStatus: 200, responseBody: "" };

test.serial(
  "delivery store - a first attempt writes its delivery with its outcome and its body: a retry is due, a success can be sent again by hand",
  async (t) => {
    // Its own delivery parked: only the first attempts' deliveries can be taken.
    const { sub } = await newDelivery(null);
    const done = firstAttempt(sub, succeeded, { state: "succeeded" });
    const retried = firstAttempt(sub, failed, { state: "pending", retryInMs: 0 });
    const recorded = await deliveries.recordAttempts(
      [done, retried],
      [{ id: sub.id, failuresSinceSuccess: 1, succeeded: true }],
      noMessages,
    );
    t.like(
      recorded.settled.sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: done.delivery.id, state: "succeeded", attempt_count: 1, next_attempt_at: null },
        { id: retried.delivery.id, state: "pending", attempt_count: 1 },
      ],
    );
    t.like(recorded.outcomes, [{ event_id: done.delivery.eventId, status: "delivered" }]);
    t.like(await take(sub.id), [{ id: retried.delivery.id, attemptCount: 1, body: '{"n":2}', requestId: "req-1", stored: true }]);
    t.like((await deliveries.eventDeliveries(sub.org_id, done.delivery.eventId))[0], {
      state: "succeeded",
      attempts: [{ number: 1, status: "succeeded" }],
    });
    await deliveries.retryDelivery(sub.org_id, done.delivery.id, nothingToAudit);
    t.like(await take(sub.id), [{ id: done.delivery.id, attemptCount: 1, body: '{"n":2}', stored: true }]);
  },
);

test.serial("delivery store - an event read twice has its first attempt recorded once, whichever copy is recorded last", async (t) => {
  // Its own delivery parked: only the first attempts' deliveries can be taken.
  const { sub } = await newDelivery(null);
  const first = firstAttempt(sub, succeeded, { state: "succeeded" });
  await deliveries.recordAttempts([first], [], noMessages);
  const copy = firstAttempt(sub, failed, { state: "pending", retryInMs: 0 }, first.delivery.eventId);
  t.deepEqual((await deliveries.recordAttempts([copy], [], noMessages)).settled, []);
  const [listed, ...others] = await deliveries.eventDeliveries(sub.org_id, first.delivery.eventId);
  t.deepEqual(others, []);
  t.like(listed, { id: first.delivery.id, state: "succeeded", attempts: [{ status: "succeeded" }] });
});

test.serial("delivery store - a first attempt to be retried of an event deleted meanwhile is cancelled, not retried", async (t) => {
  // Its own delivery parked: only the first attempts' deliveries can be taken.
  const { sub } = await newDelivery(null);
  const attempt = firstAttempt(sub, failed, { state: "pending", retryInMs: 0 });
  await deliveries.cancelEvent(sub.org_id, attempt.delivery.eventId);
  const { settled } = await deliveries.recordAttempts([attempt], [], noMessages);
  t.like(settled, [{ state: "cancelled", next_attempt_at: null }]);
  t.deepEqual(await take(sub.id), []);
  t.is((await sql`select from delivery.messages where event_id = ${attempt.delivery.eventId}`).length, 0, "its body is gone for good");
});

test.serial("delivery store - an event deleted while its first attempt is being recorded ends cancelled, not pending", async (t) => {
  const { sub } = await newDelivery(null);
  const attempt = firstAttempt(sub, failed, { state: "pending", retryInMs: 60_000 });
  // Holding the subscription's row stalls the recording after it has read what it reads, before it commits.
  let release!: () => void;
  const holder = await holdSubscription(sub.id, new Promise<void>((resolve) => (release = resolve)));
  const recording = deliveries.recordAttempts([attempt], [{ id: sub.id, failuresSinceSuccess: 1, succeeded: false }], noMessages);
  await eventually(async () => ((await waitingOnLocks()) >= 1 ? true : undefined), "the recording to wait for the subscription");
  let done = false;
  const cancelling = deliveries.cancelEvent(sub.org_id, attempt.delivery.eventId).then(() => (done = true));
  await eventually(async () => (done || (await waitingOnLocks()) >= 2 ? true : undefined), "the deletion to end or to wait");
  release();
  await Promise.all([holder.done, recording, cancelling]);
  const [listed] = await deliveries.eventDeliveries(sub.org_id, attempt.delivery.eventId);
  t.is(listed?.state, "cancelled");
});

test.serial("delivery store - a success resets the subscription's failures in a row", async (t) => {
  // Its own delivery parked: only the first attempts' deliveries can be taken.
  const { sub } = await newDelivery(null);
  const count = (failures: number, success: boolean) =>
    deliveries.recordAttempts(
      [firstAttempt(sub, success ? succeeded : failed, success ? { state: "succeeded" } : { state: "failed", reason: "exhausted" })],
      [{ id: sub.id, failuresSinceSuccess: failures, succeeded: success }],
      noMessages,
    );
  t.deepEqual((await count(3, false)).failuresInARow, [{ id: sub.id, consecutive_failures: 3 }]);
  t.deepEqual((await count(0, true)).failuresInARow, [{ id: sub.id, consecutive_failures: 0 }]);
});

test.serial(
  "subscription store - a signing secret is stored sealed, and read back whole by subscriptions and deliveries alike",
  async (t) => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const { sub } = await newDelivery();
    const rotated = await subscriptions.rotateSecret(sub.org_id, sub.id, { secret, keepMs: 60_000 }, nothingToAudit);
    t.is(rotated?.secret, secret);
    t.is(rotated?.previous_secret, "whsec_AAAA");

    const [row] = await sql`select secret, previous_secret from delivery.subscriptions where id = ${sub.id}`;
    const stored = `${row!.secret} ${row!.previous_secret}`;
    for (const plain of [secret, secret.slice("whsec_".length), "whsec_AAAA"]) t.false(stored.includes(plain), plain);
    t.deepEqual((await take(sub.id))[0]?.secrets, [secret, "whsec_AAAA"]);
    t.is((await subscriptions.getSubscription(sub.org_id, sub.id))?.secret, secret);
  },
);

test.serial("subscription store - secrets stored in plain text before sealing are sealed at start, and still sign", async (t) => {
  const { sub } = await newDelivery();
  await sql`update delivery.subscriptions set secret = 'whsec_BBBB', previous_secret = null where id = ${sub.id}`;
  t.true((await subscriptions.prepareSecrets()) >= 1);
  const [row] = await sql`select secret from delivery.subscriptions where id = ${sub.id}`;
  t.regex(row!.secret, /^v1:/);
  t.deepEqual((await take(sub.id))[0]?.secrets, ["whsec_BBBB"]);
  t.is(await subscriptions.prepareSecrets(), 0);
});

test.serial("subscription store - a key that does not open the secrets stops the service at start, and is never used", async (t) => {
  const { sub } = await newDelivery();
  const otherKey = createSubscriptionStore(sql, new SecretBox(randomBytes(32)));
  await t.throwsAsync(otherKey.prepareSecrets(), { instanceOf: UnreadableSecret });
  await t.throwsAsync(otherKey.getSubscription(sub.org_id, sub.id), { instanceOf: UnreadableSecret, message: new RegExp(sub.id) });
});
