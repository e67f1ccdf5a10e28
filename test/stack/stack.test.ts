// Tests of the launcher's pieces (supervisor, Postgres and NATS resolution, admin token, dev key) and of the e2e harness.

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { connect } from "nats";
import postgres from "postgres";
import { ensureDevKey } from "../../tools/stack/dev-key.js";
import { keyAccepted } from "../../tools/stack/gateway-client.js";
import { NatsServerMissingError, requireNatsServer, startNatsServer } from "../../tools/stack/nats.js";
import { freePort, freePorts, isListening } from "../../tools/stack/ports.js";
import { countOrgs, dropDatabase, ensureDatabase, resolvePostgres, withDatabase } from "../../tools/stack/postgres.js";
import { SERVICE_NAMES } from "../../tools/stack/services.js";
import { generateAdminToken, generateSigningSecretsKey, loadKeptSecret } from "../../tools/stack/stack-secrets.js";
import { Supervisor, SupervisorError, type SupervisorEvent } from "../../tools/stack/supervisor.js";
import { startStack } from "../helpers/stack.js";

const FAST_RESTART = { initialDelayMs: 50, maxDelayMs: 400, resetAfterMs: 60_000 };

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "stack-test-"));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a throwaway child script and returns its path. */
async function script(dir: string, name: string, source: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, source);
  return file;
}

function until<T extends SupervisorEvent>(events: SupervisorEvent[], predicate: (event: SupervisorEvent) => event is T): Promise<T>;
function until(events: SupervisorEvent[], predicate: (event: SupervisorEvent) => boolean): Promise<SupervisorEvent>;
async function until(events: SupervisorEvent[], predicate: (event: SupervisorEvent) => boolean): Promise<SupervisorEvent> {
  for (;;) {
    const found = events.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const serverScript = `
import http from "node:http";
console.log("up");
http.createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");
`;

test("supervisor - every output line of a child is prefixed with its name", async (t) => {
  const dir = await tempDir(t);
  const file = await script(
    dir,
    "talk.mjs",
    `console.log("line one\\nline two"); console.error("to stderr"); setInterval(() => {}, 1000);`,
  );
  const printed: string[] = [];
  const supervisor = new Supervisor({ restart: false, print: (line) => printed.push(line) });
  t.teardown(() => supervisor.stopAll());
  supervisor.add({ name: "inbox", command: process.execPath, args: [file] });
  await supervisor.start("inbox");
  while (printed.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));

  t.deepEqual([...printed].sort(), ["inbox    | line one", "inbox    | line two", "inbox    | to stderr"]);
  t.deepEqual([...supervisor.logs("inbox")].sort(), ["line one", "line two", "to stderr"]);
});

test("supervisor - a child that dies is restarted and the restart is reported", async (t) => {
  const dir = await tempDir(t);
  const counter = path.join(dir, "runs");
  // First run exits with code 3; the restarted one stays up.
  const file = await script(
    dir,
    "flaky.mjs",
    `import fs from "node:fs";
     const runs = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) : 0) + 1;
     fs.writeFileSync(${JSON.stringify(counter)}, String(runs));
     console.log("run " + runs);
     if (runs === 1) process.exit(3);
     setInterval(() => {}, 1000);`,
  );
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor({ restart: FAST_RESTART, onEvent: (event) => events.push(event) });
  t.teardown(() => supervisor.stopAll());
  supervisor.add({ name: "flaky", command: process.execPath, args: [file] });
  await supervisor.start("flaky");

  const exited = await until(events, (event) => event.type === "exited");
  t.like(exited, { name: "flaky", code: 3, signal: null, restartInMs: FAST_RESTART.initialDelayMs });
  await until(events, (event) => event.type === "started" && events.indexOf(event) > events.indexOf(exited));
  while (!supervisor.logs("flaky").includes("run 2")) await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(supervisor.isRunning("flaky"));
});

test("supervisor - restart delays double up to the maximum", async (t) => {
  const dir = await tempDir(t);
  const file = await script(dir, "crash.mjs", `process.exit(1);`);
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor({ restart: FAST_RESTART, onEvent: (event) => events.push(event) });
  t.teardown(() => supervisor.stopAll());
  supervisor.add({ name: "crash", command: process.execPath, args: [file] });
  await supervisor.start("crash");

  const delays = () => events.flatMap((event) => (event.type === "exited" ? [event.restartInMs] : []));
  while (delays().length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
  t.deepEqual(delays().slice(0, 5), [50, 100, 200, 400, 400]);
});

test("supervisor - with restarts off a killed child stays down until started again", async (t) => {
  const dir = await tempDir(t);
  const file = await script(dir, "server.mjs", serverScript);
  const port = await freePort();
  const supervisor = new Supervisor({ restart: false });
  t.teardown(() => supervisor.stopAll());
  supervisor.add({
    name: "web",
    command: process.execPath,
    args: [file],
    env: { ...process.env, PORT: String(port) },
    healthUrl: `http://127.0.0.1:${port}/healthz`,
  });
  await supervisor.start("web");

  t.deepEqual(await supervisor.kill("web", "SIGKILL"), { code: null, signal: "SIGKILL" });
  t.false(supervisor.isRunning("web"));
  t.false(await isListening("127.0.0.1", port));

  await supervisor.start("web");
  t.true(await isListening("127.0.0.1", port));
});

test("supervisor - stopping escalates to SIGKILL for a child that ignores SIGTERM", async (t) => {
  const dir = await tempDir(t);
  const file = await script(
    dir,
    "stubborn.mjs",
    `process.on("SIGTERM", () => console.log("ignored")); console.log("ready"); setInterval(() => {}, 1000);`,
  );
  const supervisor = new Supervisor({ restart: FAST_RESTART, stopGraceMs: 300 });
  supervisor.add({ name: "stubborn", command: process.execPath, args: [file] });
  await supervisor.start("stubborn");
  while (!supervisor.logs("stubborn").includes("ready")) await new Promise((resolve) => setTimeout(resolve, 20));

  t.deepEqual(await supervisor.stop("stubborn"), { code: null, signal: "SIGKILL" });
  t.false(supervisor.isRunning("stubborn"));
});

test("supervisor - start fails with the child's last output when it exits before becoming healthy", async (t) => {
  const dir = await tempDir(t);
  const file = await script(dir, "broken.mjs", `console.error("missing config FOO"); process.exit(2);`);
  const supervisor = new Supervisor({ restart: false });
  t.teardown(() => supervisor.stopAll());
  supervisor.add({ name: "broken", command: process.execPath, args: [file], healthUrl: "http://127.0.0.1:9/healthz" });

  const error = await t.throwsAsync(supervisor.start("broken"), { instanceOf: SupervisorError });
  t.is(error?.code, "exited");
  t.deepEqual(error?.logs, ["missing config FOO"]);
  t.regex(error?.message ?? "", /missing config FOO/);
});

test("ports - ports picked together are all different, free once picked, and below the range outgoing connections take", async (t) => {
  const ports = await freePorts(20);
  t.is(new Set(ports).size, 20);
  t.true(
    ports.every((port) => port < 32_768),
    ports.join(" "),
  );
  for (const port of ports) t.false(await isListening("127.0.0.1", port), String(port));
});

test("supervisor - nothing starts once stopAll has run", async (t) => {
  const dir = await tempDir(t);
  const file = await script(dir, "idle.mjs", `setInterval(() => {}, 1000);`);
  const supervisor = new Supervisor({ restart: false });
  supervisor.add({ name: "idle", command: process.execPath, args: [file] });
  await supervisor.stopAll();

  const error = await t.throwsAsync(supervisor.start("idle"), { instanceOf: SupervisorError });
  t.is(error?.code, "closed");
  t.false(supervisor.isRunning("idle"));
});

test("postgres - the target database is created when missing, its orgs counted, and dropped with force", async (t) => {
  const server = await resolvePostgres({ databaseUrl: process.env.DATABASE_URL });
  t.teardown(() => server.stop());
  const url = withDatabase(server.url, `triggers_stack_test_${Date.now()}_${process.pid}`);
  t.true(await ensureDatabase(url), "created");
  t.false(await ensureDatabase(url), "there already");
  t.is(await countOrgs(url), 0, "no auth schema yet");

  const sql = postgres(url, { max: 1 });
  const name = new URL(url).pathname.slice(1);
  const [row] = await sql<{ current: string }[]>`select current_database() as current`;
  t.is(row?.current, name);
  await sql`create schema auth`;
  await sql`create table auth.orgs (id int)`;
  await sql`insert into auth.orgs values (1), (2)`;
  t.is(await countOrgs(url), 2);
  // Still connected: the drop has to force this session out.
  await dropDatabase(url);
  await t.throwsAsync(sql`select 1`);
  await sql.end({ timeout: 1 }).catch(() => {});

  const admin = postgres(withDatabase(url, "postgres"), { max: 1 });
  t.deepEqual([...(await admin`select 1 from pg_database where datname = ${name}`)], []);
  await admin.end();
});

test("nats - a private nats-server runs JetStream and removes its store when stopped", async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.stop());
  t.true((await fs.stat(server.storeDir)).isDirectory());

  const nc = await connect({ servers: server.url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: "STACK_TEST", subjects: ["stack.test"] });
  const ack = await nc.jetstream().publish("stack.test", new TextEncoder().encode("hello"));
  t.is(ack.seq, 1);
  await nc.close();

  await server.stop();
  await t.throwsAsync(fs.stat(server.storeDir));
});

test("nats - without a nats-server binary the error says how to install it", async (t) => {
  const dir = await tempDir(t);
  const error = t.throws(() => requireNatsServer([dir]), { instanceOf: NatsServerMissingError });
  t.regex(error?.message ?? "", /apt-get install nats-server/);
  t.regex(error?.message ?? "", /brew install nats-server/);
  t.regex(error?.message ?? "", /github\.com\/nats-io\/nats-server\/releases/);
});

test("stack secrets - the environment's value wins, else one is generated once and kept, readable by its owner only", async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, "state", "admin-token");
  t.is(await loadKeptSecret("from-env", file, generateAdminToken), "from-env");
  await t.throwsAsync(fs.stat(file));

  const generated = await loadKeptSecret(undefined, file, generateAdminToken);
  t.regex(generated, /^ta_[A-Za-z0-9_-]{43}$/);
  t.is(await loadKeptSecret(undefined, file, generateAdminToken), generated);
  t.is((await fs.stat(file)).mode & 0o777, 0o600);
  t.is(Buffer.from(generateSigningSecretsKey(), "base64").length, 32);
});

/** Stand-ins for the services: /healthz on both ports, and a gateway that issues and checks keys in memory. */
async function stubServices(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const name of SERVICE_NAMES) {
    entries[name] = await script(
      dir,
      `${name}.mjs`,
      `import http from "node:http";
       import { randomUUID } from "node:crypto";
       const name = ${JSON.stringify(name)};
       const keys = new Set();
       console.log(JSON.stringify({ msg: "stub up", database: process.env.DATABASE_URL, nats: process.env.NATS_URL, auth: process.env.AUTH_URL }));
       const server = http.createServer((req, res) => {
         if (req.url === "/healthz") return res.end("ok");
         const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
         if (name === "gateway" && req.method === "POST" && ["/v1/orgs", "/triggers.v1.AuthService/CreateOrg"].includes(req.url)) {
           if (bearer !== process.env.ADMIN_TOKEN) { res.statusCode = 401; return res.end("{}"); }
           const secret = "tk_" + randomUUID();
           keys.add(secret);
           res.setHeader("content-type", "application/json");
           return res.end(JSON.stringify({ org: { id: randomUUID() }, api_key: { id: randomUUID(), secret } }));
         }
         if (name === "gateway" && req.url === "/v1/inbox") { res.statusCode = keys.has(bearer) ? 200 : 401; return res.end("{}"); }
         res.statusCode = 404;
         res.end();
       });
       server.listen(Number(process.env[name.toUpperCase() + "_PORT"]), process.env.HOST);
       http.createServer(server.listeners("request")[0]).listen(Number(process.env[name.toUpperCase() + "_ADMIN_PORT"]), process.env.HOST);`,
    );
  }
  return entries;
}

test("harness - startStack runs every service on a private database and nats-server, and stop removes both", async (t) => {
  const dir = await tempDir(t);
  const stack = await startStack({ entries: await stubServices(dir) });
  t.teardown(() => stack.stop());

  const first = JSON.parse(stack.logs("inbox")[0] ?? "{}");
  t.like(first, { database: stack.databaseUrl, nats: stack.natsUrl, auth: stack.urls.auth });
  t.regex(new URL(stack.databaseUrl).pathname, /^\/triggers_test_[0-9a-f]+$/);
  t.regex(stack.adminToken, /^ta_/);
  t.is(stack.gatewayUrl, stack.urls.gateway);
  for (const name of SERVICE_NAMES) t.is((await fetch(`${stack.adminUrls[name]}/healthz`)).status, 200);

  const org = await stack.createOrg();
  t.regex(org.key, /^tk_/);
  t.true(await keyAccepted(stack.gatewayUrl, org.key));

  t.deepEqual(await stack.kill("inbox", "SIGKILL"), { code: null, signal: "SIGKILL" });
  await t.throwsAsync(fetch(`${stack.adminUrls.inbox}/healthz`));
  await stack.start("inbox");
  t.is((await fetch(`${stack.adminUrls.inbox}/healthz`)).status, 200);
  t.is(stack.logs().filter((line) => line.startsWith("inbox    | ")).length, 2);

  const sql = postgres(withDatabase(stack.databaseUrl, "postgres"), { max: 1 });
  t.teardown(() => sql.end());
  const name = new URL(stack.databaseUrl).pathname.slice(1);
  t.is((await sql`select 1 from pg_database where datname = ${name}`).length, 1);
  const natsPort = Number(new URL(stack.natsUrl.replace("nats:", "http:")).port);

  await stack.stop();
  t.is((await sql`select 1 from pg_database where datname = ${name}`).length, 0);
  t.false(await isListening("127.0.0.1", natsPort));
  t.false(await isListening("127.0.0.1", Number(new URL(stack.gatewayUrl).port)));
});

test("harness - with restart on, a killed service comes back by itself", async (t) => {
  const dir = await tempDir(t);
  const stack = await startStack({ entries: await stubServices(dir), restart: true });
  t.teardown(() => stack.stop());

  await stack.kill("delivery", "SIGKILL");
  for (;;) {
    const up = await fetch(`${stack.adminUrls.delivery}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.is(stack.logs("delivery").length, 2);
});

test("dev key - the stored key is reused while the gateway accepts it and replaced when it does not", async (t) => {
  const dir = await tempDir(t);
  const stack = await startStack({ entries: await stubServices(dir) });
  t.teardown(() => stack.stop());
  const file = path.join(dir, "state", "dev-key");
  const options = { gatewayUrl: stack.gatewayUrl, adminToken: stack.adminToken, file };

  const key = await ensureDevKey(options);
  t.regex(key, /^tk_/);
  t.is((await fs.readFile(file, "utf8")).trim(), key);
  t.is(await ensureDevKey(options), key);

  // The stub gateway forgets its keys when restarted, as a reset database would.
  await stack.kill("gateway");
  await stack.start("gateway");
  const replaced = await ensureDevKey(options);
  t.not(replaced, key);
  t.is((await fs.readFile(file, "utf8")).trim(), replaced);
});
