// The auth service's routes against a real Postgres: orgs by admin token, an org's keys by admin scope, rotation, revocation.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import test from "ava";
import { pino } from "pino";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { authRoutes } from "../../services/auth/routes.js";
import { createAuthStore } from "../../services/auth/store.js";
import { verifyWithStore } from "../../services/auth/verification.js";
import { formatKey, parseKey } from "../../services/shared/api-key.js";
import { maxKeysPerOrg } from "../../services/shared/api-limits.js";
import type { AuditAction } from "../../services/shared/audit.js";
import { KeyVerifier, requireApiKey } from "../../services/shared/authenticate.js";
import { connectDatabase, migrate, type Sql } from "../../services/shared/database.js";
import { refusalOf, serveInMemory, withKey } from "../helpers/routes.js";
import { createDatabase } from "../helpers/throwaway.js";

const adminToken = "ta_0123456789abcdef0123456789abcdef";

let sql: Sql;
let drop: () => Promise<void>;
let client: Client<typeof AuthService>;
/** The key ids whose changes were announced through the outbox (left there: no relay runs in this file). */
const announced = async () =>
  (await sql<{ key_id: string }[]>`select convert_from(data, 'utf8') as key_id from auth.outbox order by id`).map((row) => row.key_id);
/** What the routes wrote to the audit log; while auditDown, writing fails as it would with NATS down. */
const audited: AuditAction[] = [];
let auditDown = false;

test.before(async () => {
  const database = await createDatabase();
  drop = database.drop;
  const logger = pino({ level: "silent" });
  sql = connectDatabase(database.url, logger);
  await migrate(sql, "auth", new URL("../../services/auth/migrations/", import.meta.url), logger);
  const store = createAuthStore(sql);
  const verify = verifyWithStore(store, "live");
  const outbox = { relayed: async () => {} };
  const audit = async (_ctx: unknown, action: AuditAction) => {
    if (auditDown) throw new ConnectError("the audit log is unavailable", Code.Unavailable);
    audited.push(action);
  };
  // No cache: every call asks the store, so that each test sees a revocation at once.
  const checks = requireApiKey(new KeyVerifier(verify, { ttlMs: 0 }));
  client = createClient(
    AuthService,
    serveInMemory(authRoutes({ store, adminToken, environment: "live", verify, outbox, audit }), [checks]),
  );
});

test.after.always(async () => {
  await sql?.end();
  await drop?.();
});

async function newOrg(name = "acme") {
  const created = await client.createOrg({ name }, withKey(adminToken));
  return { orgId: created.org!.id, key: created.apiKey!.secret!, keyId: created.apiKey!.id };
}

async function keyOf(admin: string, scopes: string[], allowedCidrs: string[] = []) {
  const { apiKey } = await client.createKey({ name: "a key", scopes, allowedCidrs }, withKey(admin));
  return { ...apiKey!, secret: apiKey!.secret! };
}

test("auth routes - the admin token creates an org whose first key holds every scope, stored only as a hash", async (t) => {
  const created = await client.createOrg({ name: "  acme  " }, withKey(adminToken));
  t.is(created.org?.name, "acme");
  t.like(created.apiKey, { scopes: ["events:write", "events:read", "admin"], prefix: `tk_live_${created.apiKey!.id}` });
  const verified = await client.verifyKey({ key: created.apiKey!.secret });
  t.like(verified, { orgId: created.org!.id, keyId: created.apiKey!.id, scopes: ["events:write", "events:read", "admin"] });
  const [row] = await sql`select secret_hash from auth.keys where id = ${created.apiKey!.id}`;
  t.false((row!.secret_hash as string).includes(parseKey(created.apiKey!.secret!)!.secret));
});

test("auth routes - without the admin token, or with an API key instead, no org is created", async (t) => {
  const { key } = await newOrg();
  // Orgs named "x" only: the file's other tests make orgs of their own meanwhile.
  const count = async () => (await sql`select count(*)::int as n from auth.orgs where name = 'x'`)[0]!.n as number;
  const before = await count();
  t.is((await refusalOf(client.createOrg({ name: "x" }))).code, Code.PermissionDenied);
  t.is((await refusalOf(client.createOrg({ name: "x" }, withKey(key)))).code, Code.PermissionDenied);
  t.is((await refusalOf(client.createOrg({ name: "x" }, withKey(`${adminToken}0`)))).code, Code.PermissionDenied);
  t.is(await count(), before);
});

test("auth routes - an empty or overlong org name is an invalid field naming it", async (t) => {
  for (const name of ["   ", "n".repeat(201)]) {
    t.deepEqual(await refusalOf(client.createOrg({ name }, withKey(adminToken))), { code: Code.InvalidArgument, field: "name" });
  }
});

test("auth routes - a key with a wrong secret, an unknown id, a bad shape or another environment is unauthenticated", async (t) => {
  const { key } = await newOrg();
  const parsed = parseKey(key)!;
  const wrongSecret = formatKey({ ...parsed, secret: `${parsed.secret.slice(0, -1)}${parsed.secret.endsWith("a") ? "b" : "a"}` });
  const unknownId = formatKey({ ...parsed, id: "000000000000" });
  const otherEnvironment = formatKey({ ...parsed, environment: "test" });
  for (const candidate of [wrongSecret, unknownId, otherEnvironment, "not-a-key", ""]) {
    t.is((await refusalOf(client.verifyKey({ key: candidate }))).code, Code.Unauthenticated, candidate);
  }
});

test("auth routes - a new key holds only the scopes asked for, and its secret is shown once", async (t) => {
  const { key } = await newOrg();
  const writer = await keyOf(key, ["events:write", "events:write"], ["203.0.113.7", "10.0.0.0/8"]);
  t.like(writer, { name: "a key", scopes: ["events:write"], allowedCidrs: ["203.0.113.7/32", "10.0.0.0/8"] });
  t.like(await client.verifyKey({ key: writer.secret }), {
    keyId: writer.id,
    scopes: ["events:write"],
    allowedCidrs: ["203.0.113.7/32", "10.0.0.0/8"],
  });
  const listed = (await client.listKeys({}, withKey(key))).apiKeys.find((listedKey) => listedKey.id === writer.id);
  t.is(listed?.secret, undefined);
  t.like(listed, { prefix: `tk_live_${writer.id}`, scopes: ["events:write"] });
});

test("auth routes - bad scopes, names and allowlists are invalid fields naming them, and no key is made", async (t) => {
  const { key, orgId } = await newOrg();
  const cases: [{ scopes: string[]; name?: string; allowedCidrs?: string[] }, string][] = [
    [{ scopes: [] }, "scopes"],
    [{ scopes: ["events:delete"] }, "scopes"],
    [{ scopes: ["admin"], name: "n".repeat(201) }, "name"],
    [{ scopes: ["admin"], allowedCidrs: ["10.0.0.0/33"] }, "allowed_cidrs"],
    [{ scopes: ["admin"], allowedCidrs: Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`) }, "allowed_cidrs"],
  ];
  for (const [request, field] of cases) {
    t.deepEqual(await refusalOf(client.createKey(request, withKey(key))), { code: Code.InvalidArgument, field }, field);
  }
  const [{ n }] = await sql<[{ n: number }]>`select count(*)::int as n from auth.keys where org_id = ${orgId}`;
  t.is(n, 1);
});

test("auth routes - managing keys needs the admin scope, and the refusal names it", async (t) => {
  const { key } = await newOrg();
  const reader = await keyOf(key, ["events:read", "events:write"]);
  for (const call of [
    client.createKey({ scopes: ["admin"] }, withKey(reader.secret)),
    client.listKeys({}, withKey(reader.secret)),
    client.rotateKey({ id: reader.id }, withKey(reader.secret)),
    client.revokeKey({ id: reader.id }, withKey(reader.secret)),
  ]) {
    const err = await call.then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    t.regex(err?.message ?? "", /permission_denied.*"admin" scope/);
  }
});

test("auth routes - another org's keys cannot be listed, rotated or revoked", async (t) => {
  const owner = await newOrg("owner");
  const other = await newOrg("other");
  const ownersKey = await keyOf(owner.key, ["events:read"]);
  t.false((await client.listKeys({}, withKey(other.key))).apiKeys.some((listed) => listed.id === ownersKey.id));
  t.is((await refusalOf(client.rotateKey({ id: ownersKey.id }, withKey(other.key)))).code, Code.NotFound);
  t.is((await refusalOf(client.revokeKey({ id: ownersKey.id }, withKey(other.key)))).code, Code.NotFound);
  t.like(await client.verifyKey({ key: ownersKey.secret }), { keyId: ownersKey.id });
});

test("auth routes - a rotated key keeps working for its grace period beside its successor, which takes its scopes", async (t) => {
  const { key } = await newOrg();
  const old = await keyOf(key, ["events:read"], ["10.0.0.0/8"]);
  const before = Date.now();
  const { apiKey: successor, rotated } = await client.rotateKey({ id: old.id, gracePeriodSeconds: 3600 }, withKey(key));
  t.like(successor, { name: "a key", scopes: ["events:read"], allowedCidrs: ["10.0.0.0/8"] });
  t.not(successor!.secret, old.secret);
  const expiresAt = timestampMs(rotated!.expiresAt!);
  t.true(expiresAt >= before + 3_599_000 && expiresAt <= Date.now() + 3_601_000);
  t.like(await client.verifyKey({ key: old.secret }), { keyId: old.id });
  t.is(timestampMs((await client.verifyKey({ key: old.secret })).expiresAt!), expiresAt);
  t.like(await client.verifyKey({ key: successor!.secret }), { keyId: successor!.id });
  t.true((await announced()).includes(old.id));
  t.is((await refusalOf(client.rotateKey({ id: old.id }, withKey(key)))).code, Code.FailedPrecondition);
});

test("auth routes - a key rotated with no grace, or past its grace, is refused at once", async (t) => {
  const { key } = await newOrg();
  const first = await keyOf(key, ["events:read"]);
  await client.rotateKey({ id: first.id, gracePeriodSeconds: 0 }, withKey(key));
  t.is((await refusalOf(client.verifyKey({ key: first.secret }))).code, Code.Unauthenticated);
  const second = await keyOf(key, ["events:read"]);
  await client.rotateKey({ id: second.id }, withKey(key));
  await sql`update auth.keys set expires_at = now() - interval '1 second' where id = ${second.id}`;
  t.is((await refusalOf(client.verifyKey({ key: second.secret }))).code, Code.Unauthenticated);
  t.false((await client.listKeys({}, withKey(key))).apiKeys.some((listed) => [first.id, second.id].includes(listed.id)));
});

test("auth routes - a rotation's grace period defaults to a day and is at most 30 days", async (t) => {
  const { key } = await newOrg();
  const old = await keyOf(key, ["events:read"]);
  t.deepEqual(await refusalOf(client.rotateKey({ id: old.id, gracePeriodSeconds: 30 * 86400 + 1 }, withKey(key))), {
    code: Code.InvalidArgument,
    field: "grace_period_seconds",
  });
  const { rotated } = await client.rotateKey({ id: old.id }, withKey(key));
  const graceMs = timestampMs(rotated!.expiresAt!) - Date.now();
  t.true(graceMs > 86_300_000 && graceMs <= 86_400_000);
});

test("auth routes - a revoked key is refused and announced, and the org's last admin key cannot be revoked", async (t) => {
  const { key, keyId } = await newOrg();
  const reader = await keyOf(key, ["events:read"]);
  await client.revokeKey({ id: reader.id }, withKey(key));
  t.true((await announced()).includes(reader.id));
  t.is((await refusalOf(client.verifyKey({ key: reader.secret }))).code, Code.Unauthenticated);
  t.is((await refusalOf(client.revokeKey({ id: reader.id }, withKey(key)))).code, Code.NotFound);
  t.is((await refusalOf(client.revokeKey({ id: keyId }, withKey(key)))).code, Code.FailedPrecondition);
  const admin = await keyOf(key, ["admin"]);
  await client.revokeKey({ id: keyId }, withKey(admin.secret));
  t.is((await refusalOf(client.verifyKey({ key }))).code, Code.Unauthenticated);
});

test.serial("auth routes - a plan change is announced for every key of the org, in the change's transaction", async (t) => {
  const { orgId } = await newOrg();
  const everyKey = async () => (await sql`select from auth.outbox where subject = ${`keys.changed.${orgId}`} and data = ''`).length;
  await client.updateOrg({ id: orgId, plan: "pro" }, withKey(adminToken));
  t.is(await everyKey(), 1);
  auditDown = true;
  try {
    t.is((await refusalOf(client.updateOrg({ id: orgId, plan: "free" }, withKey(adminToken)))).code, Code.Unavailable);
  } finally {
    auditDown = false;
  }
  t.is(await everyKey(), 1, "the refused change announced nothing");
});

test("auth routes - an org holds a bounded number of keys, rotated ones in their grace period included", async (t) => {
  const { key, orgId } = await newOrg();
  const filler = `filler2${orgId.slice(0, 4)}`;
  await sql`
    insert into auth.keys (id, org_id, environment, secret_hash, scopes)
    select 'filler' || n || ${orgId.slice(0, 4)}, ${orgId}, 'live', 'x', '{events:read}' from generate_series(2, ${maxKeysPerOrg}) n`;
  const working = async () => (await client.listKeys({}, withKey(key))).apiKeys.length;
  t.is((await refusalOf(client.createKey({ scopes: ["events:read"] }, withKey(key)))).code, Code.FailedPrecondition);
  // A rotation with a grace period would leave both keys working, one more than the cap.
  t.is((await refusalOf(client.rotateKey({ id: filler }, withKey(key)))).code, Code.FailedPrecondition);
  t.is(await working(), maxKeysPerOrg);
  // Without one, the old key ends as its successor begins.
  await client.rotateKey({ id: filler, gracePeriodSeconds: 0 }, withKey(key));
  t.is(await working(), maxKeysPerOrg);
});

test("auth routes - keys' uses are recorded, the latest kept whatever the order of the reports", async (t) => {
  const { key, keyId } = await newOrg();
  const store = createAuthStore(sql);
  await store.recordUses(new Map([[keyId, Date.parse("2026-01-02T00:00:00Z")]]));
  await store.recordUses(new Map([[keyId, Date.parse("2026-01-01T00:00:00Z")]]));
  const [listed] = (await client.listKeys({}, withKey(key))).apiKeys;
  t.is(timestampMs(listed!.lastUsedAt!), Date.parse("2026-01-02T00:00:00Z"));
});

test.serial("auth routes - each change of keys is audited with who made it, and one that cannot be audited is not made", async (t) => {
  const { key, keyId, orgId } = await newOrg();
  t.like(
    audited.find((entry) => entry.action === "org.created" && entry.orgId === orgId),
    { keyId: "", resourceId: orgId },
  );
  const created = await keyOf(key, ["events:read"]);
  const { apiKey: successor } = await client.rotateKey({ id: created.id }, withKey(key));
  await client.revokeKey({ id: successor!.id }, withKey(key));
  const mine = audited.filter((entry) => entry.orgId === orgId && entry.action !== "org.created");
  t.deepEqual(
    mine.map(({ action, resourceId, keyId: by }) => ({ action, resourceId, by })),
    [
      { action: "key.created", resourceId: created.id, by: keyId },
      { action: "key.rotated", resourceId: created.id, by: keyId },
      { action: "key.revoked", resourceId: successor!.id, by: keyId },
    ],
  );
  t.deepEqual(mine[0]!.details, { name: "a key", scopes: ["events:read"], allowed_cidrs: [] });
  auditDown = true;
  try {
    t.is((await refusalOf(client.createKey({ scopes: ["admin"] }, withKey(key)))).code, Code.Unavailable);
    t.is((await refusalOf(client.revokeKey({ id: created.id }, withKey(key)))).code, Code.Unavailable);
  } finally {
    auditDown = false;
  }
  t.is((await client.listKeys({}, withKey(key))).apiKeys.length, 2, "the org's first key and the one in its grace period");
  t.is(
    (await announced()).filter((id) => id === created.id).length,
    1,
    "announced by its rotation alone: the refused revocation announced nothing",
  );
});

test("auth store - audit entries older than the longest retention an org can choose are pruned, newer ones kept", async (t) => {
  const orgId = crypto.randomUUID();
  const entry = (id: string, daysAgo: number) => ({
    id,
    org_id: orgId,
    action: "key.created",
    resource: "key",
    resource_id: "k",
    key_id: "",
    client_address: "",
    request_id: "",
    at: new Date(Date.now() - daysAgo * 24 * 60 * 60 * 1000),
    details: {},
  });
  const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()];
  await sql`insert into auth.audit_entries ${sql([entry(old, 366), entry(recent, 364)])}`;
  t.true((await createAuthStore(sql).pruneAuditEntries(365)) >= 1);
  const left = await sql<{ id: string }[]>`select id from auth.audit_entries where org_id = ${orgId}`;
  t.deepEqual(
    left.map((row) => row.id),
    [recent],
  );
});
