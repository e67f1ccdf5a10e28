// The entry point of the image and of npm start: starts the service its argument names, or applies every schema's migrations.
import { existsSync } from "node:fs";
import { common, database, defaultPorts, loadConfig, type ServiceName } from "./shared/config.js";
import { connectDatabase, migrate } from "./shared/database.js";
import { createLogger } from "./shared/logger.js";
import { exitOnUncaughtError } from "./shared/start-failure.js";

const services = Object.keys(defaultPorts) as ServiceName[];
const migrationsOf = (service: ServiceName) => new URL(`./${service}/migrations/`, import.meta.url);

const [command] = process.argv.slice(2);
if (command === "migrate" || services.includes(command as ServiceName)) exitOnUncaughtError(() => createLogger(command!, "info"));
if (command === "migrate") {
  await migrateAll();
} else if (services.includes(command as ServiceName)) {
  await import(`./${command}/main.js`);
} else {
  console.error(`usage: run.js <${[...services, "migrate"].join("|")}>`);
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
