// Connects to NATS for good: reconnecting forever and logging each change of the connection's state.
import { connect, type NatsConnection } from "nats";
import type { Logger } from "./logger.js";

export async function connectNats(servers: string[], name: string, logger: Logger): Promise<NatsConnection> {
  // Pings every 5 s, two unanswered and the connection is dead: a silent network split is noticed within about 15 s
  // rather than minutes, and the key checks stop trusting their cache (key-checks.ts). A node that does not answer a
  // connection within 5 s is given up for the next, where the client's default of 20 s kept a replica cut off from
  // one node of a cluster waiting on it while the others were up.
  const nc = await connect({
    timeout: 5_000,
    servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    pingInterval: 5_000,
    maxPingOut: 2,
  });
  logger.info({ server: nc.getServer() }, "connected to NATS");
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "pingTimer") continue;
      logger.info({ nats: status.type, detail: String(status.data) }, "NATS connection status");
    }
  })();
  return nc;
}
