// The delivery store's claims on (event, subscription) pairs, against a real Postgres: the guarantee behind "POSTed once".
import test from "ava";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { createDeliveryStore, type DeliveryStore } from "../../services/delivery/store.js";
import { connectDatabase, migrate, type Sql } from "../../services/shared/database.js";
import { createDatabase } from "../helpers/throwaway.js";

let sql: Sql;
let store: DeliveryStore;
let drop: () => Promise<void>;

test.before(async () => {
  const database = await createDatabase();
  drop = database.drop;
  const logger = pino({ level: "silent" });
  sql = connectDatabase(database.url, logger);
  await migrate(sql, "delivery", new URL("../../services/delivery/migrations/", import.meta.url), logger);
  store = createDeliveryStore(sql);
});

test.after.always(async () => {
  await sql?.end();
  await drop?.();
});

const lease = 60_000;

async function newPair() {
  const orgId = uuidv7();
  const sub = await store.createSubscription({ id: uuidv7(), orgId, url: "https://example.com/", eventTypes: [] });
  return { id: uuidv7(), orgId, eventId: uuidv7(), subscriptionId: sub.id, url: sub.url };
}

const claimOne = async (pair: Awaited<ReturnType<typeof newPair>>, leaseMs = lease) => (await store.claimAttempts([pair], leaseMs))[0]!;

test("delivery store - a pair is claimed by one worker, busy for the others, and done once recorded", async (t) => {
  const pair = await newPair();
  const claims = await Promise.all([claimOne(pair), claimOne({ ...pair, id: uuidv7() })]);
  const won = claims.filter((claim) => claim.kind === "claimed");
  t.is(won.length, 1);
  t.deepEqual(
    claims.find((claim) => claim.kind !== "claimed"),
    { kind: "busy" },
  );
  t.is((await store.listAttempts(pair.orgId, pair.eventId)).length, 0, "an attempt in flight is not listed");

  const attemptId = (won[0] as { attemptId: string }).attemptId;
  await store.recordOutcomes([{ attemptId, outcome: { status: "failed", responseStatus: 500, error: "", durationMs: 12 } }]);
  t.deepEqual(await claimOne({ ...pair, id: uuidv7() }), { kind: "done" });
  const [attempt] = await store.listAttempts(pair.orgId, pair.eventId);
  t.like(attempt, { id: attemptId, status: "failed", response_status: 500, duration_ms: 12 });
  t.is((await store.listAttempts(uuidv7(), pair.eventId)).length, 0, "another org sees no attempts");
});

test("delivery store - a claim whose lease ran out is taken over, keeping its attempt id", async (t) => {
  const pair = await newPair();
  const first = await claimOne(pair, 0);
  t.is(first.kind, "claimed");
  const second = await claimOne({ ...pair, id: uuidv7() });
  t.deepEqual(second, first);
  t.deepEqual(await claimOne({ ...pair, id: uuidv7() }), { kind: "busy" });
});

test("delivery store - many pairs are claimed and recorded together, each claim in the order asked", async (t) => {
  const [fresh, recorded, held] = await Promise.all([newPair(), newPair(), newPair()]);
  const [recordedClaim] = await store.claimAttempts([recorded!], lease);
  await store.recordOutcomes([
    {
      attemptId: (recordedClaim as { attemptId: string }).attemptId,
      outcome: { status: "succeeded", responseStatus: 200, error: "", durationMs: 3 },
    },
  ]);
  await store.claimAttempts([held!], lease);

  const claims = await store.claimAttempts([fresh!, { ...recorded!, id: uuidv7() }, { ...held!, id: uuidv7() }], lease);
  t.deepEqual(
    claims.map((claim) => claim.kind),
    ["claimed", "done", "busy"],
  );
  t.deepEqual(claims[0], { kind: "claimed", attemptId: fresh!.id });
});

test("delivery store - an org's live subscriptions are listed, deleted ones no longer", async (t) => {
  const orgId = uuidv7();
  const kept = await store.createSubscription({ id: uuidv7(), orgId, url: "https://example.com/kept", eventTypes: ["a.b"] });
  const gone = await store.createSubscription({ id: uuidv7(), orgId, url: "https://example.com/gone", eventTypes: [] });
  t.true(await store.deleteSubscription(orgId, gone.id));
  t.false(await store.deleteSubscription(orgId, gone.id));
  t.deepEqual(
    (await store.listSubscriptions(orgId)).map((sub) => sub.id),
    [kept.id],
  );
  t.is((await store.listSubscriptions(uuidv7())).length, 0, "another org sees none of them");
});
