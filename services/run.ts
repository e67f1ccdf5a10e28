// The container image's entry point: starts the service its argument names, or applies every schema's migrations.
import { common, database, loadConfig } from "./shared/config.js";
import { connectDatabase, migrate } from "./shared/database.js";
import { createLogger } from "./shared/logger.js";

const services = ["gateway", "auth", "ingest", "inbox", "delivery"];
/** The services that keep a schema in Postgres, in the order their migrations are applied. */
const schemas = ["auth", "inbox", "delivery"];

const [command] = process.argv.slice(2);
if (command === "migrate") {
  await migrateAll();
} else if (command && services.includes(command)) {
  await import(`./${command}/main.js`);
} else {
  console.error(`usage: run.js <${[...services, "migrate"].join("|")}>`);
  process.exit(2);
}

async function migrateAll() {
  const config = loadConfig({ logLevel: common.logLevel, databaseUrl: database.databaseUrl });
  const logger = createLogger("migrate", config.logLevel);
  const sql = connectDatabase(config.databaseUrl, logger);
  try {
    for (const schema of schemas) await migrate(sql, schema, new URL(`./${schema}/migrations/`, import.meta.url), logger);
    logger.info({ schemas }, "migrations applied");
  } finally {
    await sql.end({ timeout: 5 });
  }
}
