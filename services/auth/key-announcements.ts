// What auth says of keys over NATS, and hears: revocations and rotations announced to every process, uses reported back.
import type { NatsConnection } from "nats";
import type { Logger } from "../shared/logger.js";
import { keyChangedSubject, keysUsedSubject } from "../shared/streams.js";
import type { AuthStore } from "./store.js";

// Long enough for a NATS server under load; a revocation is committed either way, and caches expire on their own.
const confirmTimeoutMs = 2_000;

/** keyId "" stands for every key of the org (its plan changed). */
export type AnnounceKeyChange = (orgId: string, keyId: string) => Promise<void>;

/**
 * Tells every process that checks keys to drop what it holds of this one. Waits for NATS to confirm (a flush), so
 * that when the client hears the answer, every connected replica is dropping its copy. An unconfirmed
 * announcement is logged, not thrown: the change is made, and the caches' own expiry bounds how long it takes.
 */
export function keyAnnouncer(nc: NatsConnection, logger: Logger): AnnounceKeyChange {
  return async (orgId, keyId) => {
    nc.publish(keyChangedSubject(orgId), keyId);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("NATS did not confirm in time")), confirmTimeoutMs);
    });
    try {
      await Promise.race([nc.flush(), late]);
    } catch (err) {
      logger.warn({ err, key_id: keyId }, "a key change may reach other processes only when their caches expire");
    } finally {
      clearTimeout(timer);
    }
  };
}

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
