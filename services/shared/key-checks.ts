// A process's key checks: a verifier whose cache follows key changes announced over NATS, and whose uses reach auth.
import type { NatsConnection } from "nats";
import { type AskAuth, KeyVerifier } from "./authenticate.js";
import { KeyUsage } from "./key-usage.js";
import type { Logger } from "./logger.js";
import { keyChanges, orgOfKeyChange } from "./streams.js";

export interface KeyCheckSettings {
  keyCacheTtlMs: number;
  keyUsageReportMs: number;
}

export interface KeyChecks {
  verifier: KeyVerifier;
  /** Reports the last uses; call before the connection drains. */
  close(): void;
}

export function startKeyChecks(nc: NatsConnection, ask: AskAuth, settings: KeyCheckSettings, logger: Logger): KeyChecks {
  const usage = new KeyUsage(nc, settings.keyUsageReportMs);
  const verifier = new KeyVerifier(ask, { ttlMs: settings.keyCacheTtlMs, onUse: usage.record });
  nc.subscribe(keyChanges, {
    callback: (err, msg) => {
      if (err) return logger.warn({ err }, "key changes subscription failed");
      verifier.forget(orgOfKeyChange(msg.subject), msg.string() || undefined);
    },
  });
  // While the connection is down, announced changes go unheard: the verifier then trusts nothing for long.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") verifier.setChangesHeard(false);
      if (status.type === "reconnect") verifier.setChangesHeard(true);
    }
  })();
  return { verifier, close: () => usage.close() };
}
