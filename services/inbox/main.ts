// The inbox service process: wiring only.
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { Arrivals } from "../shared/arrivals.js";
import { auditLog } from "../shared/audit.js";
import { askAuthService, requireApiKey } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { connectDatabase, prepareSchema } from "../shared/database.js";
import { databaseDependency, natsDependency } from "../shared/dependencies.js";
import { jsonRoute } from "../shared/json-route.js";
import { startKeyChecks } from "../shared/key-checks.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { connectNats } from "../shared/nats.js";
import { startOutboxRelay } from "../shared/outbox.js";
import { startServer } from "../shared/server.js";
import { exitWhenStopped, onShutdown } from "../shared/shutdown.js";
import { consumers, deliveryOutcomesStream, ensureConsumer, ensureStream, expiredEventsStream } from "../shared/streams.js";
import { loadInboxConfig } from "./config.js";
import { startOutcomesConsumer } from "./delivery-outcomes.js";
import { startProjection } from "./projection.js";
import { startPurge } from "./purge.js";
import { inboxRoutes, listInboxJson } from "./routes.js";
import { createEventStore } from "./store.js";

const config = loadInboxConfig();
const logger = createLogger("inbox", config.logLevel);

const sql = connectDatabase(config.databaseUrl, logger);
await prepareSchema(sql, "inbox", new URL("./migrations/", import.meta.url), logger, config.migrateOnStart);
const store = createEventStore(sql);

const nats = await connectNats(config.natsServers, "inbox", logger);
const jsm = await nats.jetstreamManager();
await ensureConsumer(jsm, consumers.inbox, config.jetStreamReplicas);
await ensureConsumer(jsm, consumers.inboxDeliveryOutcomes, config.jetStreamReplicas, deliveryOutcomesStream);
await ensureStream(jsm, expiredEventsStream, config.jetStreamReplicas);
const arrivals = new Arrivals(nats);
const projection = await startProjection(
  nats.jetstream(),
  store,
  config.projectionBatchSize,
  logger.child({ module: "projection" }),
  (orgIds) => arrivals.announce(orgIds),
);
const outcomes = await startOutcomesConsumer(nats.jetstream(), store, logger.child({ module: "delivery-outcomes" }));
exitWhenStopped(logger, { "events projection": projection, "delivery outcomes": outcomes });
const outbox = startOutboxRelay({ sql, schema: "inbox", nats, logger: logger.child({ module: "outbox" }) });
const purge = startPurge(
  store,
  { intervalMs: config.purgeIntervalMs, defaultRetentionDays: config.defaultRetentionDays },
  logger.child({ module: "purge" }),
);
const keyChecks = startKeyChecks(nats, askAuthService(createServiceClient(AuthService, config.authUrl)), config, logger);

const metrics = createMetrics("inbox");
const draining = new AbortController();

const server = await startServer({
  host: config.host,
  port: config.port,
  adminPort: config.adminPort,
  maxConnectionAgeMs: config.maxConnectionAgeMs,
  logger,
  metrics,
  services: [InboxService],
  dependencies: [natsDependency(nats, logger), databaseDependency(config.databaseUrl, logger)],
  routes: inboxRoutes({
    store,
    arrivals,
    delivery: createServiceClient(DeliveryService, config.deliveryUrl),
    defaultRetentionDays: config.defaultRetentionDays,
    draining: draining.signal,
    audit: auditLog(nats.jetstream()),
  }),
  interceptors: [requireApiKey(keyChecks.verifier)],
  jsonRoutes: new Map([jsonRoute(listInboxJson(store, arrivals), { verifier: keyChecks.verifier, logger, metrics })]),
});

onShutdown(logger, config.shutdownGraceMs, [
  // Event streams never end by themselves: they end first, so that the server's grace is left to the other calls.
  ["event streams", async () => draining.abort()],
  ["server", () => server.close(config.shutdownGraceMs)],
  ["projection", () => projection.stop()],
  ["delivery outcomes", () => outcomes.stop()],
  ["purge", () => purge.stop()],
  ["outbox", () => outbox.stop()],
  [
    "nats",
    () => {
      arrivals.close();
      keyChecks.close();
      return nats.drain();
    },
  ],
  ["database", () => sql.end({ timeout: 5 })],
]);
