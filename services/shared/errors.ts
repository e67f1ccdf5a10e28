// The one place errors become Connect errors: the rules' domain errors by kind, dependency failures, and the unexpected.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { type ErrorInfo, ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { codeToString } from "./connect-protocol.js";
import { isDependencyDown } from "./dependency-errors.js";
import { type DomainError, isDomainError } from "./domain-errors.js";
import type { Logger } from "./logger.js";
import { quotaHeaders } from "./quota.js";

/** A domain error as clients see it: its Connect code, and the field at fault as a machine-readable detail. */
export function connectErrorOf(err: DomainError): ConnectError {
  switch (err.name) {
    case "InvalidField":
      return withInfo(err.message, Code.InvalidArgument, ErrorReason.INVALID_FIELD, err.field);
    case "TooLarge":
      // gRPC itself reports oversized messages as resource_exhausted.
      return withInfo(err.message, Code.ResourceExhausted, ErrorReason.TOO_LARGE, err.field);
    case "NotFound":
      return new ConnectError(err.message, Code.NotFound);
    case "KeyReused":
      return withInfo(err.message, Code.FailedPrecondition, ErrorReason.IDEMPOTENCY_KEY_REUSED, err.field);
    case "PreconditionFailed":
      return new ConnectError(err.message, Code.FailedPrecondition);
    case "MissingScope":
      return withInfo(err.message, Code.PermissionDenied, ErrorReason.MISSING_SCOPE, "");
    case "AddressNotAllowed":
      return withInfo(err.message, Code.PermissionDenied, ErrorReason.ADDRESS_NOT_ALLOWED, "");
    case "RateLimited":
      return withInfo(err.message, Code.ResourceExhausted, ErrorReason.RATE_LIMITED, "", {
        "retry-after": String(err.retryAfterSeconds),
        ...(err.quota && quotaHeaders(err.quota)),
      });
    case "TooManyStreams":
      return withInfo(err.message, Code.ResourceExhausted, ErrorReason.TOO_MANY_STREAMS, "");
    case "StreamEnded":
      return withInfo(err.message, Code.Unavailable, ErrorReason.STREAM_ENDED, "");
  }
}

function withInfo(message: string, code: Code, reason: ErrorReason, field: string, headers?: Record<string, string>): ConnectError {
  const info = create(ErrorInfoSchema, { reason, field });
  return new ConnectError(message, code, headers, [{ desc: ErrorInfoSchema, value: info }]);
}

/**
 * Turns anything a handler throws into a Connect error: domain errors by their kind, dependency failures
 * become unavailable, anything unexpected becomes internal. The cause is logged, never sent.
 */
export function toConnectError(err: unknown, logger: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (isDomainError(err)) return connectErrorOf(err);
  if (isDependencyDown(err)) {
    logger.warn({ err }, "dependency unavailable");
    return new ConnectError("a dependency is unavailable, try again", Code.Unavailable);
  }
  logger.error({ err }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
}

/** An error as one item of a batch reports it, when the other items go on: its code name, message and ErrorInfo. */
export function itemError(err: unknown, logger: Logger): { code: string; message: string; info: ErrorInfo | undefined } {
  const connectError = toConnectError(err, logger);
  return { code: codeToString(connectError.code), message: connectError.rawMessage, info: connectError.findDetails(ErrorInfoSchema)[0] };
}

/** The server interceptor applying toConnectError to every RPC, and to every message of a streamed answer. */
export function errorBoundary(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const mapped = (err: unknown) => toConnectError(err, logger.child({ method: req.method.name }));
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mappingErrors(res.message, mapped) } : res;
    } catch (err) {
      throw mapped(err);
    }
  };
}

async function* mappingErrors<T>(messages: AsyncIterable<T>, mapped: (err: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw mapped(err);
  }
}
