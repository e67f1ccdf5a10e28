// The inbox service's settings, read once at start.
import { common, databaseUrl, integer, keyCacheTtlMs, loadConfig, natsUrl, peers, listenPort } from "../shared/config.js";

export function loadInboxConfig() {
  return loadConfig({
    ...common,
    port: listenPort("inbox"),
    databaseUrl,
    natsUrl,
    authUrl: peers.authUrl,
    keyCacheTtlMs,
    /** The most events written to Postgres in one statement by the projection. */
    projectionBatchSize: integer("INBOX_BATCH_SIZE", 500, 1, 10_000),
  });
}
