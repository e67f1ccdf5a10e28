// The one error the client throws for a failed call: what the API answered (status, code, reason, field, request id) or why no answer came.
import { Code, type ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { type RateLimit, rateLimitOf, retryAfterSecondsOf } from "./rate-limit.js";

// The HTTP status the REST API answers for each code: the table of the README's "Errors" section.
const statusByCode: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/**
 * A call that failed. `code` is the Connect (and gRPC) code; `status` the HTTP status the REST API gives the
 * same error, or undefined when no answer came (a network failure, a timeout, a cancelled call). `reason` and
 * `field` come from the answer's ErrorInfo, so code can act on them without reading messages.
 */
export class TriggersError extends Error {
  override readonly name = "TriggersError";
  readonly code: Code;
  readonly status: number | undefined;
  /** Why, in a word a program can switch on; undefined when the answer named none. */
  readonly reason: ErrorReason | undefined;
  /** The request field at fault, in its JSON name (`type`, `events[1].type`), when one is. */
  readonly field: string | undefined;
  /** The id that finds the call in the server's logs: quote it when asking for help. */
  readonly requestId: string | undefined;
  /** How long the server asked to wait before trying again (a 429's Retry-After). */
  readonly retryAfterSeconds: number | undefined;
  /** Where the org stood against its plan, when the answer said (publishes). */
  readonly rateLimit: RateLimit | undefined;
  /** The ConnectError as the transport raised it, for logs. */
  override readonly cause: ConnectError;

  constructor(err: ConnectError) {
    super(err.rawMessage);
    const info = err.findDetails(ErrorInfoSchema)[0];
    this.code = err.code;
    this.reason = info?.reason;
    this.field = info?.field || undefined;
    this.status = answered(err) ? statusOf(err.code, this.reason) : undefined;
    this.requestId = err.metadata.get("x-request-id") ?? undefined;
    this.retryAfterSeconds = retryAfterSecondsOf(err.metadata);
    this.rateLimit = rateLimitOf(err.metadata);
    this.cause = err;
  }
}

/**
 * Whether the error came in an answer from the server, rather than from the client's side (no connection, a
 * timeout, a cancellation): every answer has a content type, and an error made here has no headers at all.
 */
export function answered(err: ConnectError): boolean {
  return err.metadata.has("content-type");
}

function statusOf(code: Code, reason: ErrorReason | undefined): number {
  // The two statuses REST tells apart where the codes do not: "too large" from "too many", and a reused key.
  if (reason === ErrorReason.TOO_LARGE) return 413;
  if (reason === ErrorReason.IDEMPOTENCY_KEY_REUSED) return 422;
  return statusByCode[code];
}
