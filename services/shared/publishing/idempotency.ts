// Idempotency keys: what a key may be, what a repeat is compared by, and the stream message id that makes JetStream refuse a second copy.
import { createHash } from "node:crypto";
import type { EventInput } from "../../../gen/triggers/v1/event_pb.js";
import { idempotencyKeyPattern, maxIdempotencyKeyLength } from "../api-limits.js";
import { InvalidField, KeyReused } from "../domain-errors.js";
import type { PublishedEvent } from "../published-events.js";

export function requireIdempotencyKey(key: string, field: string): string {
  if (!idempotencyKeyPattern.test(key))
    throw new InvalidField(field, `idempotency_key must be 1 to ${maxIdempotencyKeyLength} printable ASCII characters`);
  return key;
}

/**
 * What a retry must repeat: type, source, data and occurred_at as the client sent them. Each part is followed by a
 * NUL, which none of them can hold (JSON text escapes it), so that no two different events run together alike.
 */
export function contentDigest(input: EventInput, data: string): Uint8Array {
  const occurredAt = input.occurredAt ? `${input.occurredAt.seconds}.${input.occurredAt.nanos}` : "";
  const hash = createHash("sha256");
  for (const part of [input.type, input.source, data, occurredAt]) hash.update(part).update("\0");
  return hash.digest();
}

/** The stream message id of a keyed event: JetStream stores one message per id within its duplicate window. */
export function messageIdOf(orgId: string, key: string): string {
  return `${orgId}:${key}`;
}

/**
 * The event first stored under the key of `repeat`, read from the stream message JetStream named as the original.
 * A repeat whose content differs is refused: the client reused a key for another event.
 */
export function originalOf(repeat: PublishedEvent, stored: PublishedEvent[]): PublishedEvent {
  const original = stored.find((candidate) => candidate.idempotency?.key === repeat.idempotency?.key);
  if (!original?.idempotency || !repeat.idempotency) throw new Error("the stream's original holds no event with the key");
  if (!Buffer.from(original.idempotency.digest).equals(repeat.idempotency.digest))
    throw new KeyReused("idempotency_key", "idempotency_key was used in the last 24 hours for a different event");
  return original;
}
