// The inbox service's settings, read once at start.
import { retentionDays } from "../shared/api-limits.js";
import { common, database, integer, jetStream, keyChecks, listenPorts, loadConfig, peers } from "../shared/config.js";

export function loadInboxConfig() {
  return loadConfig({
    ...common,
    ...listenPorts("inbox"),
    ...database,
    ...jetStream,
    authUrl: peers.authUrl,
    deliveryUrl: peers.deliveryUrl,
    ...keyChecks,
    /** The most events written to Postgres in one statement by the projection. */
    projectionBatchSize: integer("INBOX_BATCH_SIZE", 500, 1, 10_000),
    /** How many days an org's events are kept when it has not said. */
    defaultRetentionDays: integer("INBOX_RETENTION_DAYS", 30, retentionDays.min, retentionDays.max),
    /** How often events past their retention are deleted. */
    purgeIntervalMs: integer("INBOX_PURGE_INTERVAL_MS", 60 * 60 * 1000, 1_000),
  });
}
