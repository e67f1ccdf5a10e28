// What the product's rules throw when a request breaks one: errors in the product's words, free of any transport.
import type { Quota } from "./quota.js";

/** A request field holds a value we cannot accept; field is its JSON name, "" for the request as a whole. */
export class InvalidField extends Error {
  override readonly name = "InvalidField";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request field, or the request itself when field is "", is larger than allowed. */
export class TooLarge extends Error {
  override readonly name = "TooLarge";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the request names does not exist, or belongs to another org: the two look the same from outside. */
export class NotFound extends Error {
  override readonly name = "NotFound";
  constructor(readonly what: string) {
    super(`${what} not found`);
  }
}

/** An idempotency key was used, within its window, for a different request: retrying cannot succeed. */
export class KeyReused extends Error {
  override readonly name = "KeyReused";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request is well formed, but what it names is in a state that forbids it (the org's last admin key, say). */
export class PreconditionFailed extends Error {
  override readonly name = "PreconditionFailed";
}

/** The caller's API key lacks the scope the call needs. */
export class MissingScope extends Error {
  override readonly name = "MissingScope";
  constructor(
    readonly scope: string,
    held: readonly string[],
  ) {
    super(`this call needs an API key with the "${scope}" scope; this key has ${held.map((s) => `"${s}"`).join(", ") || "none"}`);
  }
}

/** The caller's API key may not be used from the address the request came from (its allowlist). */
export class AddressNotAllowed extends Error {
  override readonly name = "AddressNotAllowed";
  constructor(readonly address: string) {
    super(`this API key may not be used from ${address}: the address is not in its allowed_cidrs`);
  }
}

/** Too many requests: the org's plan allows no more events now, or a client address failed to authenticate too often. */
export class RateLimited extends Error {
  override readonly name = "RateLimited";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** Where the org stands, when an org's plan is what refused it. */
    readonly quota?: Quota,
  ) {
    super(message);
  }
}

/** The API key holds as many open event streams as it may. */
export class TooManyStreams extends Error {
  override readonly name = "TooManyStreams";
  constructor(limit: number) {
    super(`this API key has ${limit} event streams open, as many as it may: close one, or use another key`);
  }
}

/** An event stream ends before its caller asked: the server is restarting, or the reader fell behind. */
export class StreamEnded extends Error {
  override readonly name = "StreamEnded";
  constructor(readonly why: "restarting" | "slow_reader") {
    super(
      why === "restarting"
        ? "the server is restarting: reconnect with the cursor of the last event received"
        : "the stream's reader fell behind: reconnect with the cursor of the last event received",
    );
  }
}

/** A rule's verdict on a request; errors.ts turns each kind into its Connect code, in one place. */
export type DomainError =
  | InvalidField
  | TooLarge
  | NotFound
  | KeyReused
  | PreconditionFailed
  | MissingScope
  | AddressNotAllowed
  | RateLimited
  | TooManyStreams
  | StreamEnded;

export function isDomainError(err: unknown): err is DomainError {
  return (
    err instanceof InvalidField ||
    err instanceof TooLarge ||
    err instanceof NotFound ||
    err instanceof KeyReused ||
    err instanceof PreconditionFailed ||
    err instanceof MissingScope ||
    err instanceof AddressNotAllowed ||
    err instanceof RateLimited ||
    err instanceof TooManyStreams ||
    err instanceof StreamEnded
  );
}
