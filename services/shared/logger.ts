// The process's root logger: JSON lines stamped with the service and the current request id, secrets redacted.
import { type Logger, pino } from "pino";
import { currentRequestId } from "./request-context.js";

export type { Logger };

const redacted = [
  "key",
  "secret",
  "token",
  "authorization",
  "*.key",
  "*.secret",
  "*.token",
  "*.authorization",
  'headers["x-api-key"]',
  "data",
  "*.data",
];

export function createLogger(service: string, level: string): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: redacted, censor: "[redacted]" },
      mixin() {
        const requestId = currentRequestId();
        return requestId ? { request_id: requestId } : {};
      },
    },
    // Asynchronous: lines written while a write is under way go out together with the next one, so a busy
    // service makes one write per burst instead of one per line. Whatever is buffered is flushed at exit.
    pino.destination({ dest: 1, sync: false }),
  );
}
