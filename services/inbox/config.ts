// The inbox service's settings, read once at start.
import { common, databaseUrl, integer, keyCacheTtlMs, listenPort, loadConfig, natsUrl, peers } from "../shared/config.js";

export function loadInboxConfig() {
  return loadConfig({
    ...common,
    port: listenPort("inbox"),
    databaseUrl,
    natsUrl,
    authUrl: peers.authUrl,
    deliveryUrl: peers.deliveryUrl,
    keyCacheTtlMs,
    /** The most events written to Postgres in one statement by the projection. */
    projectionBatchSize: integer("INBOX_BATCH_SIZE", 500, 1, 10_000),
  });
}
