// The errors services raise, as Connect errors with a machine-readable detail, and the one place unknown errors become Connect errors.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import type { Logger } from "./logger.js";

function withInfo(message: string, code: Code, reason: ErrorReason, field: string): ConnectError {
  const info = create(ErrorInfoSchema, { reason, field });
  return new ConnectError(message, code, undefined, [{ desc: ErrorInfoSchema, value: info }]);
}

/** A request field holds a value we cannot accept; field is its JSON name. */
export function invalidField(field: string, message: string): ConnectError {
  return withInfo(message, Code.InvalidArgument, ErrorReason.INVALID_FIELD, field);
}

/** A request field is larger than allowed. gRPC itself reports oversized messages as resource_exhausted. */
export function tooLarge(field: string, message: string): ConnectError {
  return withInfo(message, Code.ResourceExhausted, ErrorReason.TOO_LARGE, field);
}

export function notFound(what: string): ConnectError {
  return new ConnectError(`${what} not found`, Code.NotFound);
}

// Errors of the connections we depend on: the request may well succeed once they are back.
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "53300",
  "57P01",
  "57P02",
  "57P03",
  "CONNECTION_DRAINING",
  "CONNECTION_REFUSED",
  "DISCONNECT",
  "TIMEOUT",
  "503",
]);

export function isDependencyDown(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // SQLSTATE class 08: the connection to Postgres failed.
  return typeof code === "string" && (unavailableCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

/**
 * Turns anything a handler throws into a Connect error: dependency failures become unavailable,
 * anything unexpected becomes internal. The cause is logged, never sent.
 */
export function toConnectError(err: unknown, logger: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (isDependencyDown(err)) {
    logger.warn({ err }, "dependency unavailable");
    return new ConnectError("a dependency is unavailable, try again", Code.Unavailable);
  }
  logger.error({ err }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
}

/** The server interceptor applying toConnectError to every RPC. */
export function errorBoundary(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw toConnectError(err, logger.child({ method: req.method.name }));
    }
  };
}
