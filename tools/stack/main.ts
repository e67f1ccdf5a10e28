// `npm start`: finds or starts Postgres and NATS, runs the five services under a supervisor, prints how to call them.
import path from "node:path";
import { checkoutDatabase } from "./checkout-database.js";
import { ensureDevKey } from "./dev-key.js";
import { explainFailure, LaunchError } from "./launch-error.js";
import { resolveNats } from "./nats.js";
import { prefixLine } from "./output-lines.js";
import { countOrgs, ensureDatabase, redact, resolvePostgres } from "./postgres.js";
import { type DatabaseInUse, readyBanner } from "./ready-banner.js";
import { REPO_ROOT, SERVICE_NAMES, serviceEnvironment, serviceSpec } from "./services.js";
import { loadStackConfig } from "./stack-config.js";
import { generateAdminToken, generateSigningSecretsKey, loadKeptSecret } from "./stack-secrets.js";
import { describeEvent, Supervisor } from "./supervisor.js";

const say = (line: string) => console.log(prefixLine("stack", line));
const printAs = (name: string) => (line: string) => console.log(prefixLine(name, line));

/** Undone in reverse order on shutdown: what we started ourselves. */
const cleanups: Array<() => Promise<unknown>> = [];
let shuttingDown = false;

async function shutdown(exitCode: number): Promise<never> {
  // Repeated Ctrl-C changes nothing: the supervisor's SIGKILL deadline already bounds the wait.
  if (!shuttingDown) {
    shuttingDown = true;
    say("stopping");
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: Error) => say(`while stopping: ${error.message}`));
    }
    say("stopped");
    process.exit(exitCode);
  }
  return new Promise<never>(() => {});
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
// A closed terminal must not leave the detached children running.
process.on("SIGHUP", () => void shutdown(0));

try {
  const config = loadStackConfig();
  const adminToken = await loadKeptSecret(config.adminToken, path.join(config.dataDir, "admin-token"), generateAdminToken);
  const signingSecretsKey = await loadKeptSecret(
    config.signingSecretsKey,
    path.join(config.dataDir, "signing-secrets-key"),
    generateSigningSecretsKey,
  );

  const pg = await resolvePostgres({
    databaseUrl: config.databaseUrl,
    sharedServerDatabase: checkoutDatabase(REPO_ROOT, signingSecretsKey),
    embeddedDataDir: path.join(config.dataDir, "postgres"),
    onEmbeddedLine: printAs("postgres"),
    detached: true,
  });
  cleanups.push(pg.stop);
  const database = await prepareDatabase(pg.url);
  say(`postgres (${pg.source}): ${redact(pg.url)}`);

  const nats = await resolveNats({
    natsUrl: config.natsUrl,
    storeDir: path.join(config.dataDir, "nats"),
    onLine: printAs("nats"),
    detached: true,
  });
  cleanups.push(nats.stop);
  say(`nats (${nats.source}): ${nats.url}`);

  const env = serviceEnvironment({ ...config, databaseUrl: pg.url, natsUrl: nats.url, adminToken, signingSecretsKey });

  // Children get their own process groups: Ctrl-C reaches only us, and each child gets one SIGTERM, the gateway first.
  const supervisor = new Supervisor({ print: console.log, onEvent: (event) => say(describeEvent(event)), detached: true });
  for (const name of SERVICE_NAMES) supervisor.add(serviceSpec(name, env, config.adminPorts[name], "compiled"));
  cleanups.push(() => supervisor.stopAll());
  await supervisor.startAll();

  const gatewayUrl = config.urls.gateway;
  let devKey: string | undefined;
  try {
    devKey = await ensureDevKey({ gatewayUrl, adminToken, file: path.join(config.dataDir, "dev-key") });
  } catch (error) {
    // The services stay up: a broken org endpoint is something to debug with them running.
    say(`could not make a dev API key: ${(error as Error).message}`);
  }
  console.log(readyBanner({ gatewayUrl, adminToken, devKey, database }));
} catch (error) {
  if (!shuttingDown) {
    console.error(explainFailure(error));
    await shutdown(1);
  }
}

/** Creates the stack's database when missing, and tells which it is and whether it held orgs already. */
async function prepareDatabase(url: string): Promise<DatabaseInUse> {
  const created = await ensureDatabase(url).catch((error: Error) => {
    throw new LaunchError(`cannot create the database ${redact(url)}: ${error.message}`, "set DATABASE_URL to a database you may use");
  });
  const orgs = created
    ? 0
    : await countOrgs(url).catch((error: Error) => {
        throw new LaunchError(`cannot read the database ${redact(url)}: ${error.message}`, "set DATABASE_URL to a database you may use");
      });
  const parsed = new URL(url);
  return { name: decodeURIComponent(parsed.pathname.slice(1)), server: parsed.host, orgs };
}
