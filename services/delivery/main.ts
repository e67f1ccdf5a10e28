// The delivery service process: wiring only.

import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { auditLog } from "../shared/audit.js";
import { askAuthService, requireApiKey } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
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
import {
  auditStream,
  consumers,
  deadLettersStream,
  deliveryOutcomesStream,
  ensureConsumer,
  ensureStream,
  eventsKeptDays,
  expiredEventsStream,
} from "../shared/streams.js";
import { deliveryRoutes } from "./api/routes.js";
import { loadDeliveryConfig } from "./config.js";
import { createDeliveryStore } from "./delivery-store.js";
import { startExpiredEventsReader } from "./history/expired-events.js";
import { startBacklogTrimming } from "./history/parked-backlogs.js";
import { createSettledNotices } from "./notices/settled.js";
import { createAttemptMetrics } from "./pipeline/attempt-metrics.js";
import { startConsumer } from "./pipeline/consumer.js";
import { registerDepthGauges } from "./pipeline/depth-gauges.js";
import { createDispatcher } from "./pipeline/dispatcher.js";
import { Lanes } from "./pipeline/lanes.js";
import { deliveryLeaseMs, HeldDeliveries } from "./pipeline/leases.js";
import { createRecorder } from "./pipeline/recorder.js";
import { startScheduler } from "./pipeline/scheduler.js";
import { createSender } from "./pipeline/sender.js";
import { SubscriptionCache } from "./subscriptions/cache.js";
import { SecretBox } from "./subscriptions/secret-box.js";
import { createSubscriptionStore } from "./subscriptions/store.js";
import { AddressGuard } from "./webhook/address-guard.js";

const config = loadDeliveryConfig();
const logger = createLogger("delivery", config.logLevel);
const metrics = createMetrics("delivery");

const sql = connectDatabase(config.databaseUrl, logger);
await prepareSchema(sql, "delivery", new URL("./migrations/", import.meta.url), logger, config.migrateOnStart);
const secretBox = new SecretBox(config.signingSecretsKeys);
const subscriptions = createSubscriptionStore(sql, secretBox);
const deliveries = createDeliveryStore(sql, secretBox);
const sealed = await subscriptions.prepareSecrets();
if (sealed > 0) logger.info({ subscriptions: sealed }, "signing secrets stored in plain text sealed");
const underOlderKeys = await subscriptions.countSecretsUnderOlderKeys();
if (underOlderKeys.length > 0) {
  logger.warn({ sealingKey: secretBox.sealingKeyId, underOlderKeys }, "signing secrets sealed under older keys: run reseal-secrets");
}

const nc = await connectNats(config.natsServers, "delivery", logger);
const jsm = await nc.jetstreamManager();
await ensureConsumer(jsm, consumers.delivery, config.jetStreamReplicas);
await ensureStream(jsm, deadLettersStream, config.jetStreamReplicas);
await ensureStream(jsm, deliveryOutcomesStream, config.jetStreamReplicas);
await ensureStream(jsm, auditStream, config.jetStreamReplicas);
await ensureConsumer(jsm, consumers.deliveryExpiredEvents, config.jetStreamReplicas, expiredEventsStream);
const js = nc.jetstream();
const cache = new SubscriptionCache(subscriptions, nc);
const guard = new AddressGuard(config.allowedNetworks);
const keyChecks = startKeyChecks(nc, askAuthService(createServiceClient(AuthService, config.authUrl)), config, logger);
registerDepthGauges(metrics.registry, sql, jsm);

const server = await startServer({
  host: config.host,
  port: config.port,
  adminPort: config.adminPort,
  maxConnectionAgeMs: config.maxConnectionAgeMs,
  logger,
  metrics,
  services: [DeliveryService],
  dependencies: [natsDependency(nc, logger), databaseDependency(config.databaseUrl, logger)],
  routes: deliveryRoutes({ subscriptions, deliveries, cache, guard, audit: auditLog(js) }),
  interceptors: [requireApiKey(keyChecks.verifier)],
});

const outbox = startOutboxRelay({ sql, schema: "delivery", nats: nc, logger: logger.child({ module: "outbox" }) });
const lanes = new Lanes(config.concurrency, config.concurrencyPerSubscription);
const recorder = createRecorder({
  deliveries,
  metrics: createAttemptMetrics(metrics.registry),
  notices: createSettledNotices({
    subscriptions,
    cache,
    relay: outbox,
    logger: logger.child({ module: "notices" }),
    pauseAfterFailures: config.pauseAfterFailures,
  }),
  logger: logger.child({ module: "recorder" }),
});
const held = new HeldDeliveries(deliveries, logger.child({ module: "leases" }));
const sender = createSender({
  lanes,
  held,
  recorder,
  guard,
  logger: logger.child({ module: "sender" }),
  timeoutMs: config.timeoutMs,
  retrySchedule: config.retrySchedule,
});
const dispatcher = createDispatcher({ store: deliveries, cache, lanes });
const consumer = await startConsumer({
  js,
  dispatcher,
  sender,
  logger: logger.child({ module: "consumer" }),
  concurrency: config.concurrency,
  outageBackoffMs: config.outageBackoffMs,
});
const scheduler = startScheduler({
  store: deliveries,
  lanes,
  sender,
  logger: logger.child({ module: "scheduler" }),
  pollIntervalMs: config.pollIntervalMs,
  leaseMs: deliveryLeaseMs,
});
// A deleted event's tombstone stops its deliveries being made when the stream brings the event again: not once the
// stream has dropped it.
const cancelledKeptDays = eventsKeptDays + 1;
const tombstones = startPeriodic(
  "pruning the tombstones of deleted events",
  60 * 60 * 1000,
  async () => void (await deliveries.pruneCancelled(cancelledKeptDays)),
  logger.child({ module: "tombstones" }),
);
const backlogs = startBacklogTrimming(deliveries, outbox, logger.child({ module: "backlogs" }));
const expiredEvents = await startExpiredEventsReader(js, deliveries, logger.child({ module: "expired-events" }));
exitWhenStopped(logger, { "events consumer": consumer, "expired events reader": expiredEvents });

onShutdown(logger, config.shutdownGraceMs, [
  // Out of the Service first: taking no new calls while the attempts in flight end, which can take a while.
  ["readiness", async () => server.health.draining()],
  ["consumer", () => consumer.stop()],
  ["scheduler", () => scheduler.stop()],
  ["expired events reader", () => expiredEvents.stop()],
  ["tombstones", () => tombstones.stop()],
  ["backlogs", () => backlogs.stop()],
  ["attempts", () => sender.idle()],
  ["leases", async () => held.stop()],
  ["outbox", () => outbox.stop()],
  ["server", () => server.close(config.shutdownGraceMs)],
  [
    "nats",
    () => {
      keyChecks.close();
      return nc.drain();
    },
  ],
  ["database", () => sql.end({ timeout: 5 })],
]);
