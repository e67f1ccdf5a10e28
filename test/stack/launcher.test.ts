// npm start itself, compiled as it runs: a service that cannot start for a reason it knows is told once, with what to do.
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { promisify } from "node:util";
import test from "ava";
import postgres from "postgres";
import { SecretBox } from "../../services/delivery/subscriptions/secret-box.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { freePorts } from "../../tools/stack/ports.js";
import { REPO_ROOT, SERVICE_NAMES } from "../../tools/stack/services.js";
import { generateAdminToken, generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";
import { createDatabase } from "../helpers/throwaway.js";

interface Launch {
  databaseUrl: string;
  env: Record<string, string>;
}

/** What npm start needs so that it finds everything given and writes nothing to the checkout's .data. */
async function launchSettings(t: { teardown(fn: () => Promise<unknown>): void }): Promise<Launch> {
  const database = await createDatabase();
  t.teardown(database.drop);
  const nats = await startNatsServer();
  t.teardown(nats.stop);
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    ADMIN_TOKEN: generateAdminToken(),
    SIGNING_SECRETS_KEY: generateSigningSecretsKey(),
    ...(await portSettings()),
  };
  return { databaseUrl: database.url, env };
}

/** Free ports for every service, as the variables that set them. */
async function portSettings(): Promise<Record<string, string>> {
  const ports = await freePorts(SERVICE_NAMES.length * 2);
  return Object.fromEntries(
    SERVICE_NAMES.flatMap((name, i) => [
      [`${name.toUpperCase()}_PORT`, String(ports[i])],
      [`${name.toUpperCase()}_ADMIN_PORT`, String(ports[SERVICE_NAMES.length + i])],
    ]),
  );
}

/**
 * Launches as launch does, with the ports of env; should another process take one of them first (every test's
 * stack picks from one range), again on new ports, as startPrivateServices does. For tests of other failures.
 */
async function launchOnFreePorts(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  for (let attempt = 1; ; attempt++) {
    const result = await launch(env);
    if (!result.output.includes("EADDRINUSE") || attempt === 3) return result;
    env = { ...env, ...(await portSettings()) };
  }
}

/** Runs the compiled launcher to its end; it must give up on its own. */
function launch(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/tools/stack/main.js"], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

test("launcher - a service with a bad setting is not restarted: its reason and what to do are told once, without a stack trace", async (t) => {
  const { env } = await launchSettings(t);
  const { code, output } = await launchOnFreePorts({ ...env, DELIVERY_RETRY_SCHEDULE: "soon" });
  t.is(code, 1);
  t.is(occurrences(output, "delivery cannot start: DELIVERY_RETRY_SCHEDULE"), 1, output);
  t.is(occurrences(output, "what to do: correct that variable"), 1, output);
  t.is(occurrences(output, "delivery started"), 1, output);
  t.notRegex(output, /restarting|\n\s+at /);
});

test("launcher - a database holding secrets sealed under another key names the key and the database as what to change", async (t) => {
  const { databaseUrl, env } = await launchSettings(t);
  await promisify(execFile)(process.execPath, ["dist/services/run.js", "migrate"], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  const id = randomUUID();
  const otherKey = new SecretBox(Buffer.from(generateSigningSecretsKey(), "base64"));
  await sql`
    insert into delivery.subscriptions (id, org_id, url, secret)
    values (${id}, ${randomUUID()}, 'https://example.com/hook', ${otherKey.seal(id, "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0")})`;

  const { code, output } = await launchOnFreePorts(env);
  t.is(code, 1);
  t.is(occurrences(output, `delivery cannot start: the signing secret of subscription ${id} cannot be opened`), 1, output);
  t.regex(output, /what to do: .*SIGNING_SECRETS_KEY.*DATABASE_URL/);
  t.notRegex(output, /restarting|\n\s+at /);
});

test("launcher - a port already taken is named, with the variables that move the service", async (t) => {
  const { env } = await launchSettings(t);
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(Number(env.INGEST_PORT), "127.0.0.1", resolve));
  t.teardown(() => new Promise((resolve) => holder.close(() => resolve(undefined))));
  const { code, output } = await launch(env);
  t.is(code, 1);
  t.is(occurrences(output, "ingest cannot start: listen EADDRINUSE"), 1, output);
  t.regex(output, /what to do: stop what holds that port \(another npm start\?\), or set INGEST_PORT and INGEST_ADMIN_PORT/);
});
