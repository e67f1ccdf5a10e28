// The delivery service's settings, read once at start.
import {
  ConfigError,
  cidrList,
  common,
  database,
  integer,
  jetStream,
  keyChecks,
  keyExpected,
  keyList,
  listenPorts,
  loadConfig,
  optionalBase64Key,
  peers,
} from "../shared/config.js";
import { firstKeyId, type SigningKey } from "./subscriptions/secret-box.js";
import { retrySchedule } from "./webhook/retry-policy.js";

type Env = Record<string, string | undefined>;

export function loadDeliveryConfig(env: Env = process.env) {
  const settings = loadConfig(
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
    },
    env,
  );
  return { ...settings, signingSecretsKeys: loadSigningKeys(env) };
}

/**
 * The keys webhook signing secrets are sealed with at rest (AES-256-GCM), read by delivery and by
 * `run.js reseal-secrets`: the first seals, every one opens. SIGNING_SECRETS_KEYS lists them with their ids;
 * SIGNING_SECRETS_KEY, one key as before key ids, is key 0, last of the list unless the list holds it already.
 * Which key seals is the list's order rather than a setting of its own, so that it cannot name a key not held, and
 * the two steps of adding a key (listed last: opening only; then first: sealing) change one value.
 */
export function loadSigningKeys(env: Env = process.env): SigningKey[] {
  const { keys, key } = loadConfig(
    {
      /** `<id>:<32 bytes in base64>`, comma-separated: the first seals, every one opens. */
      keys: keyList("SIGNING_SECRETS_KEYS", 32),
      /** One key, 32 bytes in base64: key 0, as a deployment from before key ids has it. */
      key: optionalBase64Key("SIGNING_SECRETS_KEY", 32),
    },
    env,
  );
  if (!key) {
    if (keys.length > 0) return keys;
    throw new ConfigError("SIGNING_SECRETS_KEY", `${keyExpected(32)}; or SIGNING_SECRETS_KEYS, keys with ids (see the README)`);
  }
  const listed = keys.find((each) => each.id === firstKeyId || each.key.equals(key));
  if (listed && !(listed.id === firstKeyId && listed.key.equals(key))) {
    throw new ConfigError(
      "SIGNING_SECRETS_KEY",
      listed.id === firstKeyId
        ? `is key ${firstKeyId}, and SIGNING_SECRETS_KEYS lists another key ${firstKeyId}`
        : `is key ${firstKeyId}, and SIGNING_SECRETS_KEYS lists the same key as ${listed.id}`,
    );
  }
  return listed ? keys : [...keys, { id: firstKeyId, key }];
}

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;
