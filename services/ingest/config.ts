// The ingest service's settings, read once at start.
import { common, integer, jetStream, keyChecks, listenPorts, loadConfig, peers } from "../shared/config.js";

export function loadIngestConfig() {
  return loadConfig({
    ...common,
    ...listenPorts("ingest"),
    ...jetStream,
    authUrl: peers.authUrl,
    ...keyChecks,
    /** How long to wait for JetStream to acknowledge a write before answering unavailable. */
    publishTimeoutMs: integer("PUBLISH_TIMEOUT_MS", 5_000, 1),
  });
}
