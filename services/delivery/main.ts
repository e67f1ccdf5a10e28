// The delivery service process: wiring only.

import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { KeyVerifier, requireApiKey } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { connectDatabase, migrate } from "../shared/database.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { connectNats } from "../shared/nats.js";
import { startServer } from "../shared/server.js";
import { onShutdown } from "../shared/shutdown.js";
import { consumers, ensureConsumer } from "../shared/streams.js";
import { loadDeliveryConfig } from "./config.js";
import { startConsumer } from "./consumer.js";
import { createDispatcher } from "./dispatcher.js";
import { Limiter } from "./limiter.js";
import { deliveryRoutes } from "./routes.js";
import { createDeliveryStore } from "./store.js";
import { SubscriptionCache } from "./subscription-cache.js";

const config = loadDeliveryConfig();
const logger = createLogger("delivery", config.logLevel);
const metrics = createMetrics("delivery");

const sql = connectDatabase(config.databaseUrl, logger);
await migrate(sql, "delivery", new URL("./migrations/", import.meta.url), logger);
const store = createDeliveryStore(sql);

const nc = await connectNats(config.natsUrl, "delivery", logger);
await ensureConsumer(await nc.jetstreamManager(), consumers.delivery);
const subscriptions = new SubscriptionCache(store, nc);

const server = await startServer({
  host: config.host,
  port: config.port,
  logger,
  metrics,
  services: [DeliveryService],
  routes: deliveryRoutes(store, subscriptions),
  interceptors: [requireApiKey(new KeyVerifier(createServiceClient(AuthService, config.authUrl), config.keyCacheTtlMs))],
});

const consumer = await startConsumer({
  js: nc.jetstream(),
  dispatcher: createDispatcher({
    store,
    subscriptions,
    logger: logger.child({ module: "dispatcher" }),
    registry: metrics.registry,
    posts: new Limiter(config.concurrency),
    timeoutMs: config.timeoutMs,
  }),
  logger: logger.child({ module: "consumer" }),
  concurrency: config.concurrency,
  retryDelayMs: config.retryDelayMs,
});
// Serving the API without delivering would look healthy while events pile up: let the orchestrator restart us.
consumer.done.catch((err: unknown) => {
  logger.fatal({ err }, "events consumer stopped");
  process.exit(1);
});

onShutdown(logger, config.shutdownGraceMs, [
  ["consumer", () => consumer.stop()],
  ["server", () => server.close(config.shutdownGraceMs)],
  ["nats", () => nc.drain()],
  ["database", () => sql.end({ timeout: 5 })],
]);
