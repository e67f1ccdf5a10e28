// The entry point of the image and of npm start: starts the service its argument names, applies every schema's
// migrations, or re-seals webhook signing secrets under the key that seals now.
import { existsSync } from "node:fs";
import { loadSigningKeys } from "./delivery/config.js";
import { resealSecrets } from "./delivery/subscriptions/reseal.js";
import { SecretBox } from "./delivery/subscriptions/secret-box.js";
import { createSubscriptionStore } from "./delivery/subscriptions/store.js";
import { common, database, defaultPorts, loadConfig, type ServiceName } from "./shared/config.js";
import { connectDatabase, migrate, prepareSchema } from "./shared/database.js";
import { createLogger } from "./shared/logger.js";
import { exitOnUncaughtError } from "./shared/start-failure.js";

const services = Object.keys(defaultPorts) as ServiceName[];
const migrationsOf = (service: ServiceName) => new URL(`./${service}/migrations/`, import.meta.url);

const jobs = ["migrate", "reseal-secrets"];

const [command] = process.argv.slice(2);
if (jobs.includes(command!) || services.includes(command as ServiceName)) exitOnUncaughtError(() => createLogger(command!, "info"));
if (command === "migrate") {
  await migrateAll();
} else if (command === "reseal-secrets") {
  await resealAll();
} else if (services.includes(command as ServiceName)) {
  await import(`./${command}/main.js`);
} else {
  console.error(`usage: run.js <${[...services, ...jobs].join("|")}>`);
  process.exit(2);
}

/** Each service that keeps a schema in Postgres has a migrations folder, named after the service as its schema is. */
async function migrateAll() {
  const config = loadConfig({ logLevel: common.logLevel, databaseUrl: database.databaseUrl });
  const logger = createLogger("migrate", config.logLevel);
  const sql = connectDatabase(config.databaseUrl, logger);
  try {
    const schemas = services.filter((service) => existsSync(migrationsOf(service)));
    for (const schema of schemas) await migrate(sql, schema, migrationsOf(schema), logger);
    logger.info({ schemas }, "migrations applied");
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Seals every webhook signing secret sealed under an older key again under the key that seals now, with delivery's
 * keys and database; exits 1 when some are left under an older key (see resealSecrets), so that a Job or a script
 * sees it.
 */
async function resealAll() {
  const config = loadConfig({ logLevel: common.logLevel, databaseUrl: database.databaseUrl });
  const box = new SecretBox(loadSigningKeys());
  const logger = createLogger("reseal-secrets", config.logLevel);
  const sql = connectDatabase(config.databaseUrl, logger);
  try {
    // Only checked, never applied: the job runs beside a release whose migrations are the migrations Job's to apply.
    await prepareSchema(sql, "delivery", migrationsOf("delivery"), logger, false);
    const { remaining } = await resealSecrets(createSubscriptionStore(sql, box), logger);
    if (remaining.length > 0) process.exitCode = 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
