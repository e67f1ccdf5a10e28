// The delivery service's settings, read once at start.
import { common, databaseUrl, integer, keyCacheTtlMs, listenPort, loadConfig, natsUrl, peers } from "../shared/config.js";

export function loadDeliveryConfig() {
  return loadConfig({
    ...common,
    port: listenPort("delivery"),
    authUrl: peers.authUrl,
    databaseUrl,
    natsUrl,
    keyCacheTtlMs,
    /**
     * How long one webhook POST may take, answer included. Capped below the consumer's 30 s ack wait,
     * so that a message is never redelivered while its deliveries are still running.
     */
    timeoutMs: integer("DELIVERY_TIMEOUT_MS", 10_000, 1, 25_000),
    /** How many events are handled, and how many webhook POSTs run, at once. */
    concurrency: integer("DELIVERY_CONCURRENCY", 32, 1, 1024),
    /** How long an event waits before it is handled again when Postgres is down or another worker holds it. */
    retryDelayMs: integer("DELIVERY_RETRY_DELAY_MS", 5_000, 0, 600_000),
  });
}

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;
