// Idempotency keys the client gives publishes that bring none, so that a retried publish is stored once.

/**
 * 128 random bits as 32 hex characters. getRandomValues rather than randomUUID: browsers offer randomUUID only
 * to pages served over HTTPS or from localhost.
 */
export function newIdempotencyKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
