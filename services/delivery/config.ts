// The delivery service's settings, read once at start.
import { base64Key, cidrList, common, database, integer, jetStream, keyChecks, listenPorts, loadConfig, peers } from "../shared/config.js";
import { retrySchedule } from "./webhook/retry-policy.js";

export function loadDeliveryConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...common,
      ...listenPorts("delivery"),
      authUrl: peers.authUrl,
      ...database,
      ...jetStream,
      ...keyChecks,
      /** How long one webhook POST may take, answer included. */
      timeoutMs: integer("DELIVERY_TIMEOUT_MS", 10_000, 1, 300_000),
      /** How many webhook POSTs run at once, in total. */
      concurrency: integer("DELIVERY_CONCURRENCY", 32, 1, 1024),
      /** How many webhook POSTs run at once to one subscription, so that a slow endpoint cannot take every slot. */
      concurrencyPerSubscription: integer("DELIVERY_CONCURRENCY_PER_SUBSCRIPTION", 10, 1, 1024),
      /** The waits between a delivery's attempts; its length plus one is the most attempts a delivery gets. */
      retrySchedule: retrySchedule("DELIVERY_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h"),
      /** Failed attempts in a row after which a subscription is paused. */
      pauseAfterFailures: integer("DELIVERY_PAUSE_AFTER_FAILURES", 100, 1),
      /** How often due retries are looked for. */
      pollIntervalMs: integer("DELIVERY_POLL_INTERVAL_MS", 1_000, 10, 60_000),
      /** How long a stream message waits before it comes back when Postgres is down. */
      outageBackoffMs: integer("DELIVERY_OUTAGE_BACKOFF_MS", 5_000, 0, 600_000),
      /** Private networks webhooks may reach anyway (CIDRs, comma-separated): the local stack allows loopback. */
      allowedNetworks: cidrList("DELIVERY_ALLOWED_NETWORKS"),
      /** The key webhook signing secrets are sealed with at rest (AES-256-GCM): 32 bytes in base64. */
      signingSecretsKey: base64Key("SIGNING_SECRETS_KEY", 32),
    },
    env,
  );
}

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;
