// How errors look over REST: the HTTP status of each error (Connect's, but for the few HTTP tells apart), and the JSON body every error has.
import { type JsonObject, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { codeToHttpStatus, codeToString } from "../shared/connect-protocol.js";
import { apiJson } from "../shared/json.js";

// Errors of HTTP itself keep their precise status here: ConnectError's instanceof check does not suit subclasses.
const statusOverrides = new WeakMap<ConnectError, number>();

/**
 * An error of HTTP itself (a wrong verb, a body that is not JSON), whose status says more than any Connect code.
 * It still carries the nearest code, so every error body has one; headers are those the status calls for (`allow`).
 */
export function httpError(status: number, message: string, code: Code, headers: Record<string, string> = {}): ConnectError {
  const err = new ConnectError(message, code, headers);
  statusOverrides.set(err, status);
  return err;
}

/** Headers that belong with the error's status: those of HTTP itself (`allow`), and a 429's `retry-after` and `ratelimit-*`. */
export function httpErrorHeaders(err: ConnectError): Headers {
  return statusOverrides.has(err) || hasReason(err, ErrorReason.RATE_LIMITED) ? err.metadata : new Headers();
}

export function httpStatus(err: ConnectError): number {
  const override = statusOverrides.get(err);
  if (override !== undefined) return override;
  // gRPC says resource_exhausted for "too large" as well as for "too many"; HTTP tells them apart.
  if (err.code === Code.ResourceExhausted && hasReason(err, ErrorReason.TOO_LARGE)) return 413;
  // A request that is well formed but conflicts with what its idempotency key already stands for.
  if (hasReason(err, ErrorReason.IDEMPOTENCY_KEY_REUSED)) return 422;
  return codeToHttpStatus(err.code);
}

export function errorBody(err: ConnectError, requestId: string): JsonObject {
  const details = err.findDetails(ErrorInfoSchema).map((info) => toJson(ErrorInfoSchema, info, apiJson));
  return {
    code: codeToString(err.code),
    message: err.rawMessage,
    request_id: requestId,
    ...(details.length > 0 ? { details } : {}),
  };
}

function hasReason(err: ConnectError, reason: ErrorReason): boolean {
  return err.findDetails(ErrorInfoSchema).some((info) => info.reason === reason);
}
