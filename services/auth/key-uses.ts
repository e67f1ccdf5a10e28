// What auth hears of keys over NATS: their uses, reported by every process that checks keys.
import type { NatsConnection } from "nats";
import type { Logger } from "../shared/logger.js";
import { keysUsedSubject } from "../shared/streams.js";
import type { AuthStore } from "./store.js";

/** Records the uses that processes report; one auth replica takes each report. */
export function recordKeyUses(nc: NatsConnection, store: AuthStore, logger: Logger): void {
  nc.subscribe(keysUsedSubject, {
    queue: "auth",
    callback: (err, msg) => {
      if (err) return logger.warn({ err }, "key uses subscription failed");
      let uses: Map<string, number>;
      try {
        uses = new Map(Object.entries(msg.json<Record<string, number>>()).filter(([, at]) => Number.isFinite(at)));
      } catch (error) {
        return logger.warn({ err: error }, "a report of key uses was not JSON");
      }
      store.recordUses(uses).catch((error: unknown) => logger.warn({ err: error }, "key uses not recorded"));
    },
  });
}
