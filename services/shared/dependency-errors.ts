// Whether an error means a dependency is down, one predicate per library: a request failing so may succeed once it is back.
import { ErrorCode, NatsError } from "nats";
import postgres from "postgres";

// postgres.js's own codes for a connection that failed, closed or timed out.
const postgresConnectionCodes = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);
// SQLSTATEs of a server that cannot serve right now: too many connections, shutting down, crashed, starting up.
const postgresUnavailableStates = new Set(["53300", "57P01", "57P02", "57P03"]);

export function isPostgresDown(err: unknown): boolean {
  if (err instanceof postgres.PostgresError) {
    // Class 08: connection exceptions.
    return postgresUnavailableStates.has(err.code) || err.code.startsWith("08");
  }
  return !(err instanceof NatsError) && postgresConnectionCodes.has(codeOf(err));
}

const natsDownCodes = new Set<string>([
  ErrorCode.ConnectionClosed,
  ErrorCode.ConnectionDraining,
  ErrorCode.ConnectionRefused,
  ErrorCode.ConnectionTimeout,
  ErrorCode.Disconnect,
  ErrorCode.Timeout,
  // No responders: no stream listens on the subject, or JetStream is not (yet) enabled.
  ErrorCode.NoResponders,
]);

export function isNatsDown(err: unknown): boolean {
  return err instanceof NatsError && natsDownCodes.has(err.code);
}

// Node's system errors for a peer that cannot be reached or went away.
const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPIPE"]);

export function isNetworkDown(err: unknown): boolean {
  return err instanceof Error && networkCodes.has(codeOf(err));
}

export function isDependencyDown(err: unknown): boolean {
  return isPostgresDown(err) || isNatsDown(err) || isNetworkDown(err);
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}
