// Connects to NATS for good: reconnecting forever and logging each change of the connection's state.
import { connect, type NatsConnection } from "nats";
import type { Logger } from "./logger.js";

export async function connectNats(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  const nc = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true });
  logger.info({ server: nc.getServer() }, "connected to NATS");
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "pingTimer") continue;
      logger.info({ nats: status.type, detail: String(status.data) }, "NATS connection status");
    }
  })();
  return nc;
}
