// The ingest service's settings, read once at start.
import { common, integer, keyChecks, listenPort, loadConfig, natsUrl, peers } from "../shared/config.js";

export function loadIngestConfig() {
  return loadConfig({
    ...common,
    port: listenPort("ingest"),
    natsUrl,
    authUrl: peers.authUrl,
    ...keyChecks,
    /** How long to wait for JetStream to acknowledge a write before answering unavailable. */
    publishTimeoutMs: integer("PUBLISH_TIMEOUT_MS", 5_000, 1),
  });
}
