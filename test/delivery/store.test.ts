// The delivery store's claims on (event, subscription) pairs, against a real Postgres: the guarantee behind "POSTed once".
import test from "ava";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { connectDatabase, migrate, type Sql } from "../../services/shared/database.js";
import { createDeliveryStore, type DeliveryStore } from "../../services/delivery/store.js";
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

async function newPair(leaseMs = 60_000) {
  const orgId = uuidv7();
  const sub = await store.createSubscription({ id: uuidv7(), orgId, url: "https://example.com/", eventTypes: [] });
  return { id: uuidv7(), orgId, eventId: uuidv7(), subscriptionId: sub.id, url: sub.url, leaseMs };
}

test("delivery store - a pair is claimed by one worker, busy for the others, and done once recorded", async (t) => {
  const pair = await newPair();
  const claims = await Promise.all([store.claimAttempt(pair), store.claimAttempt({ ...pair, id: uuidv7() })]);
  const won = claims.filter((claim) => claim.kind === "claimed");
  t.is(won.length, 1);
  t.deepEqual(claims.find((claim) => claim.kind !== "claimed"), { kind: "busy" });
  t.is((await store.listAttempts(pair.orgId, pair.eventId)).length, 0, "an attempt in flight is not listed");

  const attemptId = (won[0] as { attemptId: string }).attemptId;
  await store.recordOutcome(attemptId, { status: "failed", responseStatus: 500, error: "", durationMs: 12 });
  t.deepEqual(await store.claimAttempt({ ...pair, id: uuidv7() }), { kind: "done" });
  const [attempt] = await store.listAttempts(pair.orgId, pair.eventId);
  t.like(attempt, { id: attemptId, status: "failed", response_status: 500, duration_ms: 12 });
  t.is((await store.listAttempts(uuidv7(), pair.eventId)).length, 0, "another org sees no attempts");
});

test("delivery store - a claim whose lease ran out is taken over, keeping its attempt id", async (t) => {
  const pair = await newPair(0);
  const first = await store.claimAttempt(pair);
  t.is(first.kind, "claimed");
  const second = await store.claimAttempt({ ...pair, id: uuidv7(), leaseMs: 60_000 });
  t.deepEqual(second, first);
  t.deepEqual(await store.claimAttempt({ ...pair, id: uuidv7() }), { kind: "busy" });
});

test("delivery store - an org's live subscriptions are listed, deleted ones no longer", async (t) => {
  const orgId = uuidv7();
  const kept = await store.createSubscription({ id: uuidv7(), orgId, url: "https://example.com/kept", eventTypes: ["a.b"] });
  const gone = await store.createSubscription({ id: uuidv7(), orgId, url: "https://example.com/gone", eventTypes: [] });
  t.true(await store.deleteSubscription(orgId, gone.id));
  t.false(await store.deleteSubscription(orgId, gone.id));
  t.deepEqual((await store.listSubscriptions(orgId)).map((sub) => sub.id), [kept.id]);
  t.is((await store.listSubscriptions(uuidv7())).length, 0, "another org sees none of them");
});
