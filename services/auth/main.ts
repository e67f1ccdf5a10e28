// The auth service process: wiring only.
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { retentionDays } from "../shared/api-limits.js";
import { auditLog } from "../shared/audit.js";
import { requireApiKey } from "../shared/authenticate.js";
import { connectDatabase, prepareSchema } from "../shared/database.js";
import { databaseDependency, natsDependency } from "../shared/dependencies.js";
import { startKeyChecks } from "../shared/key-checks.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { connectNats } from "../shared/nats.js";
import { startOutboxRelay } from "../shared/outbox.js";
import { startPeriodic } from "../shared/periodic.js";
import { startServer } from "../shared/server.js";
import { exitWhenStopped, onShutdown } from "../shared/shutdown.js";
import { auditStream, consumers, ensureConsumer } from "../shared/streams.js";
import { startAuditConsumer } from "./audit-consumer.js";
import { loadAuthConfig } from "./config.js";
import { recordKeyUses } from "./key-uses.js";
import { authRoutes } from "./routes.js";
import { createAuthStore } from "./store.js";
import { verifyWithStore } from "./verification.js";

const config = loadAuthConfig();
const logger = createLogger("auth", config.logLevel);
if (!config.adminToken) logger.warn("ADMIN_TOKEN is not set: nobody can create orgs");

const sql = connectDatabase(config.databaseUrl, logger);
await prepareSchema(sql, "auth", new URL("./migrations/", import.meta.url), logger, config.migrateOnStart);
const store = createAuthStore(sql);
const verify = verifyWithStore(store, config.keyEnvironment);

const nats = await connectNats(config.natsServers, "auth", logger);
const jsm = await nats.jetstreamManager();
await ensureConsumer(jsm, consumers.authAudit, config.jetStreamReplicas, auditStream);
const auditConsumer = await startAuditConsumer(nats.jetstream(), store, logger.child({ module: "audit" }));
exitWhenStopped(logger, { "audit log reader": auditConsumer });
// Auth checks the keys of calls to it like any service, asking its own store rather than itself.
const keyChecks = startKeyChecks(nats, verify, config, logger);
recordKeyUses(nats, store, logger.child({ module: "key-uses" }));
const auditRetention = startPeriodic(
  "pruning the audit log",
  60 * 60 * 1000,
  // As long as the longest retention an org can choose for its events.
  async () => void (await store.pruneAuditEntries(retentionDays.max)),
  logger.child({ module: "audit-retention" }),
);
const outbox = startOutboxRelay({ sql, schema: "auth", nats, logger: logger.child({ module: "outbox" }) });

const server = await startServer({
  host: config.host,
  port: config.port,
  adminPort: config.adminPort,
  maxConnectionAgeMs: config.maxConnectionAgeMs,
  logger,
  metrics: createMetrics("auth"),
  services: [AuthService],
  dependencies: [natsDependency(nats, logger), databaseDependency(config.databaseUrl, logger)],
  routes: authRoutes({
    store,
    adminToken: config.adminToken,
    environment: config.keyEnvironment,
    verify,
    outbox,
    audit: auditLog(nats.jetstream()),
  }),
  interceptors: [requireApiKey(keyChecks.verifier)],
});

onShutdown(logger, config.shutdownGraceMs, [
  ["server", () => server.close(config.shutdownGraceMs)],
  ["audit log reader", () => auditConsumer.stop()],
  ["outbox", () => outbox.stop()],
  ["audit retention", () => auditRetention.stop()],
  [
    "nats",
    () => {
      keyChecks.close();
      return nats.drain();
    },
  ],
  ["database", () => sql.end({ timeout: 5 })],
]);
