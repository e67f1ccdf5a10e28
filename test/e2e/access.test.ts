// Keys and scopes through the whole stack and two gateways: what each scope opens, rotation, revocation, and secrets kept secret.
import test from "ava";
import postgres from "postgres";
import { apiClient, request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { newKey } from "../helpers/routes.js";
import { type Stack, startStack } from "../helpers/stack.js";
import type { ServiceProcess } from "../helpers/throwaway.js";

// Ten minutes: a key refused sooner than this was dropped from the caches by an announcement, not by expiry.
const cacheTtlMs = "600000";

let stack: Stack;
let second: ServiceProcess;
/** Every secret issued in this file, for the last test to look for. */
const issued: string[] = [];

test.before(async () => {
  const env = { KEY_CACHE_TTL_MS: cacheTtlMs, KEY_USAGE_REPORT_MS: "200", LOG_LEVEL: "debug" };
  stack = await startStack({ env, logLines: 100_000 });
  // The second gateway stands behind a proxy on loopback; the first trusts no proxy.
  second = await stack.startGateway({ TRUSTED_PROXIES: "127.0.0.0/8,::1" });
});

test.after.always(async () => {
  await stack?.stop();
});

async function newOrg() {
  const org = await stack.createOrg();
  issued.push(org.key);
  return { ...org, admin: apiClient(stack.gatewayUrl, org.key) };
}

async function issueKey(adminKey: string, body: Record<string, unknown>) {
  const res = await apiClient(stack.gatewayUrl, adminKey).post("/v1/keys", body);
  if (res.status !== 200) throw new Error(`creating a key answered ${res.status}: ${JSON.stringify(res.body)}`);
  issued.push(res.body.api_key.secret);
  return res.body.api_key as { id: string; secret: string };
}

const gateways = () => [stack.gatewayUrl, second.url];

/** The status each gateway answers a key's inbox read with. */
const inboxStatuses = (key: string) => Promise.all(gateways().map(async (url) => (await request(url, "/v1/inbox", { key })).status));

test.serial("access - each scope opens its own endpoints and no others, and a refusal names the missing scope", async (t) => {
  const { key } = await newOrg();
  const keys = {
    "events:write": (await issueKey(key, { scopes: ["events:write"] })).secret,
    "events:read": (await issueKey(key, { scopes: ["events:read"] })).secret,
    admin: (await issueKey(key, { scopes: ["admin"] })).secret,
  };
  const { body: published } = await apiClient(stack.gatewayUrl, key).post("/v1/events", { type: "order.created" });
  const calls: [string, string, string, unknown?][] = [
    ["events:write", "POST", "/v1/events", { type: "order.created" }],
    ["events:write", "POST", "/v1/events/batch", { events: [{ type: "order.created" }] }],
    ["events:read", "GET", "/v1/inbox"],
    ["events:read", "GET", "/v1/event-types"],
    ["events:read", "GET", `/v1/events/${published.id}`],
    ["events:read", "POST", `/v1/events/${published.id}/ack`, {}],
    ["events:read", "GET", `/v1/events/${published.id}/attempts`],
    ["admin", "GET", "/v1/keys"],
    ["admin", "GET", "/v1/subscriptions"],
    ["admin", "GET", "/v1/inbox/settings"],
    ["admin", "POST", "/v1/subscriptions", { url: "http://127.0.0.1:9/hook" }],
  ];
  for (const [needed, method, path, body] of calls) {
    for (const [scope, scopedKey] of Object.entries(keys)) {
      const res = await request(second.url, path, { method, key: scopedKey, body });
      if (scope === needed) t.is(res.status, 200, `${scope} ${method} ${path}: ${JSON.stringify(res.body)}`);
      else {
        t.is(res.status, 403, `${scope} ${method} ${path}`);
        t.is(res.body.code, "permission_denied");
        t.is(res.body.details[0].reason, "ERROR_REASON_MISSING_SCOPE");
        t.true(res.body.message.includes(`"${needed}"`), res.body.message);
      }
    }
  }
});

test.serial("access - a service called directly checks the scope too", async (t) => {
  const { key } = await newOrg();
  const writer = await issueKey(key, { scopes: ["events:write"] });
  const res = await request(stack.urls.inbox, "/triggers.v1.InboxService/ListInbox", { key: writer.secret, body: {} });
  t.is(res.status, 403);
  t.regex(res.body.message, /"events:read"/);
});

test.serial("access - a revoked key is refused at both gateways and by the services at once, though all had it cached", async (t) => {
  const { key } = await newOrg();
  const reader = await issueKey(key, { scopes: ["events:read"] });
  const direct = () => request(stack.urls.inbox, "/triggers.v1.InboxService/ListInbox", { key: reader.secret, body: {} });
  t.deepEqual(await inboxStatuses(reader.secret), [200, 200]);
  t.is((await direct()).status, 200);
  t.is((await apiClient(second.url, key).delete(`/v1/keys/${reader.id}`)).status, 200);
  await eventually(
    async () => ((await inboxStatuses(reader.secret)).every((status) => status === 401) ? true : undefined),
    "refusal at both gateways",
  );
  t.is((await direct()).status, 401);
  t.is((await apiClient(stack.gatewayUrl, key).delete(`/v1/keys/${reader.id}`)).status, 404);
});

test.serial(
  "access - a revocation whose auth process died before announcing it is announced from the outbox, long before caches expire",
  async (t) => {
    const { key, orgId } = await newOrg();
    const reader = await issueKey(key, { scopes: ["events:read"] });
    t.deepEqual(await inboxStatuses(reader.secret), [200, 200]);
    // What a revocation leaves when its process dies right after the commit: the key revoked, the announcement unsent.
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
    t.teardown(() => sql.end());
    await sql.begin(async (tx) => {
      await tx`update auth.keys set revoked_at = now() where id = ${reader.id}`;
      await tx`insert into auth.outbox (subject, data) values (${`keys.changed.${orgId}`}, ${Buffer.from(reader.id)})`;
    });
    await eventually(
      async () => ((await inboxStatuses(reader.secret)).every((status) => status === 401) ? true : undefined),
      "refusal at both gateways",
    );
  },
);

test.serial("access - a rotated key works at both gateways through its grace period beside its successor, and not after", async (t) => {
  const { key, admin } = await newOrg();
  const old = await issueKey(key, { scopes: ["events:read"] });
  t.deepEqual(await inboxStatuses(old.secret), [200, 200]);
  const rotation = await admin.post(`/v1/keys/${old.id}/rotate`, { grace_period_seconds: 2 });
  t.is(rotation.status, 200);
  issued.push(rotation.body.api_key.secret);
  t.like(rotation.body, { api_key: { scopes: ["events:read"] }, rotated: { id: old.id } });
  t.deepEqual(await inboxStatuses(old.secret), [200, 200]);
  t.deepEqual(await inboxStatuses(rotation.body.api_key.secret), [200, 200]);
  await eventually(
    async () => ((await inboxStatuses(old.secret)).every((status) => status === 401) ? true : undefined),
    "the end of the grace",
  );
  t.deepEqual(await inboxStatuses(rotation.body.api_key.secret), [200, 200]);
});

test.serial("access - a key rotated with no grace period is refused at both gateways at once", async (t) => {
  const { key, admin } = await newOrg();
  const old = await issueKey(key, { scopes: ["events:read"] });
  t.deepEqual(await inboxStatuses(old.secret), [200, 200]);
  const rotation = await admin.post(`/v1/keys/${old.id}/rotate`, { grace_period_seconds: 0 });
  issued.push(rotation.body.api_key.secret);
  await eventually(
    async () => ((await inboxStatuses(old.secret)).every((status) => status === 401) ? true : undefined),
    "refusal at both gateways",
  );
  t.deepEqual(await inboxStatuses(rotation.body.api_key.secret), [200, 200]);
});

test.serial("access - a mistyped key is refused by its checksum, without asking auth", async (t) => {
  const { key } = await newOrg();
  const mistyped = `${key.slice(0, 25)}${key[25] === "x" ? "y" : "x"}${key.slice(26)}`;
  const before = await verifications();
  for (const url of gateways()) {
    const res = await request(url, "/v1/inbox", { key: mistyped });
    t.is(res.status, 401);
    t.is(res.body.code, "unauthenticated");
  }
  t.is(await verifications(), before);
  t.is((await request(stack.gatewayUrl, "/v1/inbox", { key: newKey() })).status, 401);
  t.true((await verifications()) > before);
});

/** How many VerifyKey calls the auth service has served. */
async function verifications(): Promise<number> {
  const text = await (await fetch(`${stack.adminUrls.auth}/metrics`)).text();
  return [
    ...text.matchAll(/^rpc_server_duration_seconds_count\{[^}]*method="triggers\.v1\.AuthService\/VerifyKey"[^}]*\} (\d+)$/gm),
  ].reduce((sum, match) => sum + Number(match[1]), 0);
}

test.serial("access - a key with an allowlist works only from its addresses, as the socket or a trusted proxy tells them", async (t) => {
  const { key } = await newOrg();
  const local = await issueKey(key, { scopes: ["events:read"], allowed_cidrs: ["127.0.0.0/8", "::1"] });
  const office = await issueKey(key, { scopes: ["events:read"], allowed_cidrs: ["203.0.113.0/24"] });
  const fromOffice = { "x-forwarded-for": "203.0.113.9" };
  t.is((await request(stack.gatewayUrl, "/v1/inbox", { key: local.secret })).status, 200);
  const refused = await request(stack.gatewayUrl, "/v1/inbox", { key: office.secret, headers: fromOffice });
  t.is(refused.status, 403);
  t.is(refused.body.details[0].reason, "ERROR_REASON_ADDRESS_NOT_ALLOWED");
  t.regex(refused.body.message, /127\.0\.0\.1|::1/);
  t.is((await request(second.url, "/v1/inbox", { key: office.secret, headers: fromOffice })).status, 200);
  t.is((await request(second.url, "/v1/inbox", { key: local.secret, headers: fromOffice })).status, 403);
  t.is((await request(second.url, "/v1/inbox", { key: office.secret, headers: { "x-forwarded-for": "198.51.100.7" } })).status, 403);
});

test.serial("access - keys are listed with prefix, scopes, creation and last use, never a secret", async (t) => {
  const { key, admin, orgId } = await newOrg();
  const writer = await issueKey(key, { name: "shop backend", scopes: ["events:write"] });
  await apiClient(second.url, writer.secret).post("/v1/events", { type: "order.created" });
  const listed = await eventually(async () => {
    const { body } = await admin.get("/v1/keys");
    const found = body.api_keys.find((each: { id: string }) => each.id === writer.id);
    return found?.last_used_at ? found : undefined;
  }, "the key's last use");
  t.like(listed, { org_id: orgId, name: "shop backend", scopes: ["events:write"], prefix: `tk_test_${writer.id}` });
  t.false("secret" in listed, "a listed key carries no secret field at all");
  t.truthy(listed.created_at);
  t.false(JSON.stringify((await admin.get("/v1/keys")).body).includes(writer.secret.slice(-38)));
});

test.serial(
  "access - any key that works says who it is, whatever its scopes: its org by name, its name and scopes, never its secret",
  async (t) => {
    const org = await stack.createOrg("Acme Shop");
    issued.push(org.key);
    const writer = await issueKey(org.key, { name: "zapier", scopes: ["events:write"] });
    for (const url of gateways()) {
      const { status, body } = await request(url, "/v1/me", { key: writer.secret });
      t.is(status, 200);
      t.like(body, { org: { id: org.orgId, name: "Acme Shop" }, api_key: { id: writer.id, name: "zapier", scopes: ["events:write"] } });
      t.false("secret" in body.api_key);
    }
    t.is((await request(stack.urls.auth, "/triggers.v1.AuthService/WhoAmI", { key: writer.secret, body: {} })).status, 200);
    await apiClient(stack.gatewayUrl, org.key).delete(`/v1/keys/${writer.id}`);
    const refused = await request(stack.gatewayUrl, "/v1/me", { key: writer.secret });
    t.is(refused.status, 401);
    t.is((await request(stack.gatewayUrl, "/v1/me", {})).status, 401);
    t.is((await request(stack.gatewayUrl, "/v1/me", { key: newKey() })).status, 401);
  },
);

test.serial("access - bad key requests get clear errors and create nothing", async (t) => {
  const { key, admin } = await newOrg();
  const count = async () => (await admin.get("/v1/keys")).body.api_keys.length;
  const before = await count();
  t.is((await admin.post("/v1/keys", "{not json")).status, 400);
  const badScope = await admin.post("/v1/keys", { scopes: ["root"] });
  t.is(badScope.status, 400);
  t.is(badScope.body.details[0].field, "scopes");
  t.is((await admin.post("/v1/keys", { scopes: ["admin"], allowed_cidrs: ["nope"] })).body.details[0].field, "allowed_cidrs");
  t.is((await admin.post("/v1/keys", { scopes: ["admin"], name: "n".repeat(2_000_000) })).status, 413);
  t.is((await apiClient(stack.gatewayUrl).post("/v1/keys", { scopes: ["admin"] })).status, 401);
  t.is((await apiClient(stack.gatewayUrl, key).post("/v1/keys/nope/rotate", { grace_period_seconds: -1 })).status, 400);
  t.is(await count(), before);
});

test.serial("access - one org cannot list, rotate or revoke another's keys", async (t) => {
  const owner = await newOrg();
  const other = await newOrg();
  const ownersKey = await issueKey(owner.key, { scopes: ["events:read"] });
  t.false(JSON.stringify((await other.admin.get("/v1/keys")).body).includes(ownersKey.id));
  t.is((await other.admin.post(`/v1/keys/${ownersKey.id}/rotate`, {})).status, 404);
  t.is((await other.admin.delete(`/v1/keys/${ownersKey.id}`)).status, 404);
  t.deepEqual(await inboxStatuses(ownersKey.secret), [200, 200]);
});

test.serial("access - admin actions are audited with who, when and from where, newest first, for the org alone", async (t) => {
  const { key, orgId } = await newOrg();
  const other = await newOrg();
  const fromOffice = (requestId: string) => ({ "x-forwarded-for": "203.0.113.9", "x-request-id": requestId });
  const admin = (requestId: string) => ({ key, headers: fromOffice(requestId) });
  const created = (await request(second.url, "/v1/keys", { ...admin("audit-1"), body: { name: "ci", scopes: ["events:write"] } })).body
    .api_key;
  issued.push(created.secret);
  const rotated = await request(second.url, `/v1/keys/${created.id}/rotate`, { ...admin("audit-2"), body: { grace_period_seconds: 0 } });
  issued.push(rotated.body.api_key.secret);
  await request(second.url, `/v1/keys/${rotated.body.api_key.id}`, { ...admin("audit-3"), method: "DELETE" });
  const sub = (await request(second.url, "/v1/subscriptions", { ...admin("audit-4"), body: { url: "http://127.0.0.1:9/hook" } })).body;
  await request(second.url, `/v1/subscriptions/${sub.id}`, { ...admin("audit-5"), method: "PATCH", body: { description: "orders" } });
  await request(second.url, `/v1/subscriptions/${sub.id}`, { ...admin("audit-6"), method: "DELETE" });

  const log = await eventually(async () => {
    const { body } = await request(stack.gatewayUrl, "/v1/audit", { key });
    return body.entries?.length === 7 ? body.entries : undefined;
  }, "seven audit entries");
  t.deepEqual(
    log.map((entry: { action: string }) => entry.action),
    ["subscription.deleted", "subscription.updated", "subscription.created", "key.revoked", "key.rotated", "key.created", "org.created"],
  );
  for (const entry of log.slice(0, 6)) {
    t.like(entry, { org_id: orgId, client_address: "203.0.113.9", key_id: keyIdOf(key) });
    t.regex(entry.request_id, /^audit-\d$/);
    t.truthy(entry.at);
  }
  t.like(log[5], { resource: "key", resource_id: created.id, details: { name: "ci", scopes: ["events:write"] } });
  t.like(log[1], { resource: "subscription", resource_id: sub.id, details: { description: "orders" } });
  t.like(log[6], { key_id: "", resource: "org" });
  t.false(JSON.stringify(log).includes(created.secret.slice(-38, -6)));

  const firstPage = (await request(stack.gatewayUrl, "/v1/audit?limit=4", { key })).body;
  const secondPage = (await request(stack.gatewayUrl, `/v1/audit?limit=4&cursor=${firstPage.next_cursor}`, { key })).body;
  t.deepEqual([...firstPage.entries, ...secondPage.entries], log);
  t.is(secondPage.next_cursor, "");
  const revocations = (await request(stack.gatewayUrl, "/v1/audit?action=key.revoked", { key })).body.entries;
  t.deepEqual(
    revocations.map((entry: { resource_id: string }) => entry.resource_id),
    [rotated.body.api_key.id],
  );
  t.false(JSON.stringify((await request(stack.gatewayUrl, "/v1/audit", { key: other.key })).body).includes(orgId));
});

test.serial("access - deleting an event, changing retention, replaying a subscription and retrying a delivery are audited", async (t) => {
  const { key, orgId } = await newOrg();
  const api = apiClient(stack.gatewayUrl, key);
  const hook = await startReceiver();
  t.teardown(hook.close);
  const sub = (await api.post("/v1/subscriptions", { url: hook.url })).body;
  const delivered = (await api.post("/v1/events", { type: "order.created" })).body;
  const kept = (await api.post("/v1/events", { type: "order.created" })).body;
  const delivery = await eventually(async () => {
    const { body } = await api.get(`/v1/events/${delivered.id}/deliveries`);
    return body.deliveries?.find((each: { state: string }) => each.state === "DELIVERY_STATE_SUCCEEDED");
  }, "the event delivered");
  await eventually(async () => ((await api.get(`/v1/events/${kept.id}`)).status === 200 ? true : undefined), "the event stored");

  t.is((await api.post(`/v1/deliveries/${delivery.id}/retry`, {})).status, 200);
  t.is((await api.post(`/v1/subscriptions/${sub.id}/replay`, { since: "2026-01-01T00:00:00Z" })).status, 200);
  t.is((await api.patch("/v1/inbox/settings", { retention_days: 90 })).status, 200);
  t.is((await api.delete(`/v1/events/${kept.id}`)).status, 200);
  // Refused, so unaudited: an unknown event, an unknown delivery, a retention out of range.
  t.is((await api.delete(`/v1/events/${kept.id}`)).status, 404);
  t.is((await api.post(`/v1/deliveries/${sub.id}/retry`, {})).status, 404);
  t.is((await api.patch("/v1/inbox/settings", { retention_days: 1 })).status, 400);

  const log = await eventually(async () => {
    const { body } = await request(stack.gatewayUrl, "/v1/audit", { key });
    return body.entries?.length === 6 ? body.entries : undefined;
  }, "six audit entries");
  const keyId = keyIdOf(key);
  t.like(log.slice(0, 4), [
    { org_id: orgId, key_id: keyId, action: "event.deleted", resource: "event", resource_id: kept.id },
    { key_id: keyId, action: "inbox.settings_updated", resource: "inbox", resource_id: orgId, details: { retention_days: 90 } },
    {
      key_id: keyId,
      action: "subscription.replayed",
      resource: "subscription",
      resource_id: sub.id,
      details: { since: "2026-01-01T00:00:00.000Z", replayed: 0 },
    },
    {
      key_id: keyId,
      action: "delivery.retried",
      resource: "delivery",
      resource_id: delivery.id,
      details: { event_id: delivered.id, subscription_id: sub.id },
    },
  ]);
  t.deepEqual(
    log.slice(4).map((entry: { action: string }) => entry.action),
    ["subscription.created", "org.created"],
  );
});

test.serial("access - the audit log takes the admin scope, a valid limit and its own cursors", async (t) => {
  const { key } = await newOrg();
  const reader = await issueKey(key, { scopes: ["events:read"] });
  t.is((await request(stack.gatewayUrl, "/v1/audit", { key: reader.secret })).status, 403);
  t.is((await request(stack.gatewayUrl, "/v1/audit")).status, 401);
  t.is((await request(stack.gatewayUrl, "/v1/audit?limit=101", { key })).body.details[0].field, "limit");
  t.is((await request(stack.gatewayUrl, "/v1/audit?cursor=bogus", { key })).body.details[0].field, "cursor");
  t.is((await request(stack.gatewayUrl, "/v1/audit?actor=me", { key })).status, 400);
});

/** The id of a key, as the key itself says it. */
function keyIdOf(key: string): string {
  return key.split("_")[2]!;
}

test.serial("access - no issued secret appears in any service's logs or anywhere in the database", async (t) => {
  t.true(issued.length > 10);
  const lines = [...stack.logs(), ...second.lines];
  t.true(lines.length > 100, "the services logged at debug level");
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  const tables = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_schema in ('auth', 'inbox', 'delivery') and table_type = 'BASE TABLE'`;
  t.true(tables.some(({ schema, name }) => schema === "auth" && name === "keys"));
  const rows: string[] = [];
  for (const { schema, name } of tables) {
    for (const row of await sql`select t::text as text from ${sql(schema)}.${sql(name)} t`) rows.push(row.text as string);
  }
  for (const secret of issued) {
    // The secret part alone, so that a key stored or logged without its prefix is caught too.
    const part = secret.slice(-38, -6);
    t.false(
      lines.some((line) => line.includes(part)),
      "a secret was logged",
    );
    t.false(
      rows.some((row) => row.includes(part)),
      "a secret is in the database",
    );
  }
});
