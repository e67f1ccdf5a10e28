// The delivery service's settings, read once at start.
import { common, databaseUrl, integer, keyCacheTtlMs, listenPort, loadConfig, natsUrl, peers } from "../shared/config.js";
import { consumerAckWaitMs } from "../shared/streams.js";

// What a message needs besides its POSTs (claiming, recording, acking) must fit in its ack wait too.
const ackWaitMarginMs = 5_000;

export function loadDeliveryConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...common,
      port: listenPort("delivery"),
      authUrl: peers.authUrl,
      databaseUrl,
      natsUrl,
      keyCacheTtlMs,
      /**
       * How long one webhook POST may take, answer included. Capped below the consumer's ack wait,
       * so that a message is never redelivered while its deliveries are still running.
       */
      timeoutMs: integer("DELIVERY_TIMEOUT_MS", 10_000, 1, consumerAckWaitMs - ackWaitMarginMs),
      /** How many events are handled, and how many webhook POSTs run, at once. */
      concurrency: integer("DELIVERY_CONCURRENCY", 32, 1, 1024),
      /** How long an event waits before it is handled again when Postgres is down or another worker holds it. */
      retryDelayMs: integer("DELIVERY_RETRY_DELAY_MS", 5_000, 0, 600_000),
    },
    env,
  );
}

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;
