// Which failed attempts are tried again, and after how long: exponential backoff with jitter, or the server's Retry-After.
import { Code, type ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { retryAfterSecondsOf } from "./rate-limit.js";
import { answered } from "./triggers-error.js";

const firstDelayMs = 500;
const longestDelayMs = 8_000;

export interface RetryContext {
  /** How many attempts failed so far, this one included. */
  failures: number;
  /**
   * Whether sending the call twice does what sending it once does (reads, acks, deletes, publishes with their
   * idempotency key). Only such calls are tried again when no answer came, as the first may have taken effect.
   */
  safeToRepeat: boolean;
  maxRetryAfterSeconds: number;
  random?: () => number;
}

/** How long to wait before trying the call again, or undefined when it must not be tried again. */
export function retryDelayMs(err: ConnectError, context: RetryContext): number | undefined {
  const backoff = backoffMs(context.failures, context.random ?? Math.random);
  // No answer (the network failed, the attempt ran out of time), or the gateway's 504 (a backend did not answer):
  // the call may have taken effect. A cancelled call stays cancelled.
  if (err.code === Code.DeadlineExceeded || (err.code === Code.Unavailable && !answered(err))) {
    return context.safeToRepeat ? backoff : undefined;
  }
  // A rate-limited answer says the call was not carried out: it is safe to send again, whatever it does. A 503 may
  // come after it was (a backend that went away mid-call): only calls safe to repeat are sent again.
  const rateLimited = err.code === Code.ResourceExhausted && reasonOf(err) === ErrorReason.RATE_LIMITED;
  const unavailable = err.code === Code.Unavailable && context.safeToRepeat;
  if (!unavailable && !rateLimited) return undefined;
  const retryAfter = retryAfterSecondsOf(err.metadata);
  if (retryAfter === undefined) return backoff;
  if (retryAfter > context.maxRetryAfterSeconds) return undefined;
  return Math.max(retryAfter * 1000, backoff);
}

/**
 * Doubling from half a second up to eight, each wait drawn between half and all of its step, so that clients
 * that failed together do not come back together.
 */
function backoffMs(failures: number, random: () => number): number {
  const step = Math.min(longestDelayMs, firstDelayMs * 2 ** (failures - 1));
  return step / 2 + (step / 2) * random();
}

function reasonOf(err: ConnectError): ErrorReason | undefined {
  return err.findDetails(ErrorInfoSchema)[0]?.reason;
}
