// The ingest service's settings, read once at start.
import { common, eventWrites, jetStream, keyChecks, listenPorts, loadConfig, peers } from "../shared/config.js";

export function loadIngestConfig() {
  return loadConfig({
    ...common,
    ...listenPorts("ingest"),
    ...jetStream,
    ...eventWrites,
    authUrl: peers.authUrl,
    ...keyChecks,
  });
}
