// Rotating the key that seals signing secrets, against a real Postgres: a keyring opens what older keys sealed, the
// re-seal job moves every secret to the new key beside running replicas, and a key removed too early stops the start.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import test, { type ExecutionContext } from "ava";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { createDeliveryStore } from "../../../services/delivery/delivery-store.js";
import { type ResealReport, resealSecrets } from "../../../services/delivery/subscriptions/reseal.js";
import { SecretBox, type SigningKey } from "../../../services/delivery/subscriptions/secret-box.js";
import { createSubscriptionStore } from "../../../services/delivery/subscriptions/store.js";
import { ConfigError } from "../../../services/shared/config.js";
import { connectDatabase, migrate, type Sql } from "../../../services/shared/database.js";
import { cannotStartExitCode } from "../../../services/shared/start-failure.js";
import { createDatabase } from "../../helpers/throwaway.js";

const logger = pino({ level: "silent" });
const nothingToAudit = async () => {};
const repoRoot = new URL("../../../", import.meta.url);

const keyA: SigningKey = { id: "a", key: randomBytes(32) };
const keyB: SigningKey = { id: "b.2026-12", key: randomBytes(32) };
// Key 0 as today's deployments have it: SIGNING_SECRETS_KEY alone, sealing as before key ids.
const key0: SigningKey = { id: "0", key: randomBytes(32) };
const entry = ({ id, key }: SigningKey) => `${id}:${key.toString("base64")}`;

/** A database of the test's own, migrated, removed when the test ends. */
async function database(t: ExecutionContext): Promise<{ url: string; sql: Sql }> {
  const db = await createDatabase();
  const sql = connectDatabase(db.url, logger);
  t.teardown(async () => {
    await sql.end();
    await db.drop();
  });
  await migrate(sql, "delivery", new URL("services/delivery/migrations/", repoRoot), logger);
  return { url: db.url, sql };
}

/** Delivery's stores as a process started with these keys has them: one start of delivery, or one run of the job. */
function started(sql: Sql, keys: Buffer | SigningKey[]) {
  const box = new SecretBox(keys);
  return { subscriptions: createSubscriptionStore(sql, box), deliveries: createDeliveryStore(sql, box) };
}

/** Under the first keys: a subscription with a secret and a previous one, and another with a delivery due. */
async function sealUnder(sql: Sql, keys: Buffer | SigningKey[]) {
  const { subscriptions, deliveries } = started(sql, keys);
  await subscriptions.prepareSecrets();
  const orgId = uuidv7();
  const subscription = (secret: string) =>
    subscriptions.createSubscription(
      { id: uuidv7(), orgId, url: "https://example.com/", eventTypes: [], description: "", secret },
      nothingToAudit,
    );
  const rotated = await subscription("whsec_rotated_away");
  await subscriptions.rotateSecret(orgId, rotated.id, { secret: "whsec_rotated_to", keepMs: 3_600_000 }, nothingToAudit);
  const withDelivery = await subscription("whsec_delivering");
  const delivery = { id: uuidv7(), orgId, eventId: uuidv7(), eventType: "order.created", subscriptionId: withDelivery.id, dueInMs: 0 };
  await deliveries.addDeliveries([{ eventId: delivery.eventId, orgId, body: "{}", requestId: "" }], [delivery]);
  return { orgId, rotated, withDelivery };
}

type Sealed = Awaited<ReturnType<typeof sealUnder>>;

/** What a started delivery reads: the rotated subscription's secrets, and the due delivery's, as its sender signs with them. */
async function readsEverything(t: ExecutionContext, sql: Sql, keys: SigningKey[], { orgId, rotated, withDelivery }: Sealed) {
  const { subscriptions, deliveries } = started(sql, keys);
  t.like(await subscriptions.getSubscription(orgId, rotated.id), { secret: "whsec_rotated_to", previous_secret: "whsec_rotated_away" });
  // The lease is over at once, so that the delivery is due again for the next start.
  const taken = (await deliveries.takeDue(100, 10, [], 0)).filter((each) => each.subscriptionId === withDelivery.id);
  t.deepEqual(
    taken.map((each) => each.secrets),
    [["whsec_delivering"]],
  );
}

async function storedSecrets(sql: Sql): Promise<string[]> {
  const rows = await sql<{ secret: string; previous_secret: string | null }[]>`select secret, previous_secret from delivery.subscriptions`;
  return rows.flatMap((row) => [row.secret, row.previous_secret ?? []].flat());
}

for (const [first, sealedAs] of [
  [key0, /^v1:/],
  [keyA, /^v2:a:/],
] as const) {
  test(`key rotation - from key ${first.id}: a keyring opens what it sealed, the job re-seals all under the new key, then it can go`, async (t) => {
    const { sql } = await database(t);
    const sealed = await sealUnder(sql, first.id === "0" ? first.key : [first]);
    t.true((await storedSecrets(sql)).every((stored) => sealedAs.test(stored)));

    // Removed before the job ran: refused at start, naming how many secrets need which key.
    const tooEarly = started(sql, [keyB]).subscriptions.prepareSecrets();
    const refusal = await t.throwsAsync(tooEarly, { instanceOf: ConfigError });
    t.regex(refusal!.message, new RegExp(`^SIGNING_SECRETS_KEYS: .*\\(3 under key ${first.id}\\b.*reseal-secrets`));

    // The new key first, the old one still listed: everything opens, and the start counts what the old key holds.
    const both = started(sql, [keyB, first]);
    t.is(await both.subscriptions.prepareSecrets(), 0);
    t.deepEqual(await both.subscriptions.countSecretsUnderOlderKeys(), [{ keyId: first.id, count: 3 }]);
    await readsEverything(t, sql, [keyB, first], sealed);
    const created = await both.subscriptions.createSubscription(
      { id: uuidv7(), orgId: sealed.orgId, url: "https://example.com/", eventTypes: [], description: "", secret: "whsec_new" },
      nothingToAudit,
    );

    const report = await resealSecrets(both.subscriptions, logger, { batchSize: 1 });
    t.deepEqual(report, { resealed: 2, changed: 0, remaining: [] });
    const stored = await storedSecrets(sql);
    t.is(stored.length, 4);
    t.true(
      stored.every((each) => each.startsWith("v2:b.2026-12:")),
      stored.join("\n"),
    );
    t.deepEqual(
      await resealSecrets(both.subscriptions, logger),
      { resealed: 0, changed: 0, remaining: [] },
      "a second run has nothing to do",
    );

    // The old key gone: delivery starts, and reads everything.
    const onlyB = started(sql, [keyB]);
    t.is(await onlyB.subscriptions.prepareSecrets(), 0);
    t.deepEqual(await onlyB.subscriptions.countSecretsUnderOlderKeys(), []);
    await readsEverything(t, sql, [keyB], sealed);
    t.is((await onlyB.subscriptions.getSubscription(sealed.orgId, created.id))?.secret, "whsec_new");
  });
}

test("key rotation - a secret rotated while the job re-seals it is left as the rotation wrote it", async (t) => {
  const { sql } = await database(t);
  const { orgId, rotated } = await sealUnder(sql, [keyA]);
  const both = started(sql, [keyB, keyA]);
  const replica = new SecretBox([keyB, keyA]);
  let job: Promise<ResealReport> | undefined;
  await sql.begin(async (tx) => {
    // A rotation under way on another replica holds the row; the job reads it as it was, then waits to write it.
    await tx`select from delivery.subscriptions where id = ${rotated.id} for update`;
    job = resealSecrets(both.subscriptions, logger);
    await waitForLockWait(sql);
    await tx`
      update delivery.subscriptions set previous_secret = secret, secret = ${replica.seal(rotated.id, "whsec_rotated_meanwhile")}
      where id = ${rotated.id}`;
  });
  // Left as the rotation wrote it, then its previous secret, still under the old key, re-sealed by a second pass.
  t.deepEqual(await job, { resealed: 2, changed: 1, remaining: [] });
  t.true((await storedSecrets(sql)).every((stored) => stored.startsWith("v2:b.2026-12:")));
  const subscription = await both.subscriptions.getSubscription(orgId, rotated.id);
  t.is(subscription?.secret, "whsec_rotated_meanwhile");
  t.is(subscription?.previous_secret, "whsec_rotated_to");
});

/** Resolves once some statement of this database waits for a row lock. */
async function waitForLockWait(sql: Sql): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const [row] = await sql`
      select count(*)::int as waiting from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`;
    if (row!.waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("no statement came to wait for the row lock");
}

/**
 * `run.js <command>` as the image runs it (from the sources), to its end: its exit code and the JSON lines it logged.
 * Delivery is never started past its keys here: one that got past them would wait for NATS, and time the test out.
 */
function run(
  t: ExecutionContext,
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; lines: { msg?: string }[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/run.ts", command], {
    cwd: repoRoot,
    env: { ...process.env, SIGNING_SECRETS_KEY: "", SIGNING_SECRETS_KEYS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => void child.kill());
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = output.split("\n").flatMap((line) => {
        try {
          return [JSON.parse(line) as { msg?: string }];
        } catch {
          return [];
        }
      });
      resolve({ code, output, lines });
    });
  });
}

test("key rotation - the processes: delivery refuses to start without a key that sealed secrets, and run.js reseal-secrets moves them", async (t) => {
  const { url, sql } = await database(t);
  await sealUnder(sql, [keyA]);

  // As a rollout that removed the old key too early: the pod exits at once with the reason, and is not restarted into it.
  const refused = await run(t, "delivery", { DATABASE_URL: url, SIGNING_SECRETS_KEYS: entry(keyB), NATS_URL: "nats://127.0.0.1:1" });
  t.is(refused.code, cannotStartExitCode, refused.output);
  t.like(refused.lines.at(-1), {
    reason: "ConfigError",
    msg: "SIGNING_SECRETS_KEYS: stored signing secrets are sealed under keys it does not list (3 under key a): list them again, and remove a key only once `node dist/services/run.js reseal-secrets` leaves no secret under it",
  });
  const job = await run(t, "reseal-secrets", { DATABASE_URL: url, SIGNING_SECRETS_KEYS: entry(keyB) });
  t.is(job.code, cannotStartExitCode, "nor does the job run without the key");

  const resealed = await run(t, "reseal-secrets", { DATABASE_URL: url, SIGNING_SECRETS_KEYS: `${entry(keyB)},${entry(keyA)}` });
  t.is(resealed.code, 0, resealed.output);
  t.like(resealed.lines.at(-1), {
    msg: "signing secrets re-sealed: none is sealed under an older key",
    resealed: 2,
    changed: 0,
    remaining: [],
  });
  t.true((await storedSecrets(sql)).every((stored) => stored.startsWith("v2:b.2026-12:")));
  for (const { key } of [keyA, keyB]) {
    t.false([refused.output, job.output, resealed.output].join("\n").includes(key.toString("base64")), "no key is ever logged");
  }
});
