// The auth service process: wiring only.
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { connectDatabase, migrate } from "../shared/database.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { startServer } from "../shared/server.js";
import { onShutdown } from "../shared/shutdown.js";
import { loadAuthConfig } from "./config.js";
import { authRoutes } from "./routes.js";
import { createAuthStore } from "./store.js";

const config = loadAuthConfig();
const logger = createLogger("auth", config.logLevel);
if (!config.adminToken) logger.warn("ADMIN_TOKEN is not set: nobody can create orgs");

const sql = connectDatabase(config.databaseUrl, logger);
await migrate(sql, "auth", new URL("./migrations/", import.meta.url), logger);

const server = await startServer({
  host: config.host,
  port: config.port,
  logger,
  metrics: createMetrics("auth"),
  services: [AuthService],
  routes: authRoutes(createAuthStore(sql), config.adminToken),
});

onShutdown(logger, config.shutdownGraceMs, [
  ["server", () => server.close(config.shutdownGraceMs)],
  ["database", () => sql.end({ timeout: 5 })],
]);
