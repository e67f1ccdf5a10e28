// The SDK's retry policy alone: how long each wait is, and which failures are tried again.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { type RetryContext, retryDelayMs } from "../../sdk/src/retry-policy.js";

const answer = { "content-type": "application/json" };
const lowest = { safeToRepeat: true, maxRetryAfterSeconds: 60, random: () => 0 };
const highest = { ...lowest, random: () => 1 };

function answered(code: Code, headers: Record<string, string> = {}, reason?: ErrorReason): ConnectError {
  const details = reason === undefined ? [] : [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason }) }];
  return new ConnectError("refused", code, { ...answer, ...headers }, details);
}

const delays = (err: ConnectError, context: Omit<RetryContext, "failures">) =>
  [1, 2, 3, 4, 5, 6].map((failures) => retryDelayMs(err, { ...context, failures }));

test("sdk - backoff doubles from half a second to eight, each wait drawn between half and all of its step", (t) => {
  const err = answered(Code.Unavailable);
  t.deepEqual(delays(err, lowest), [250, 500, 1000, 2000, 4000, 4000]);
  t.deepEqual(delays(err, highest), [500, 1000, 2000, 4000, 8000, 8000]);
});

test("sdk - Retry-After is waited for when longer than the backoff, as seconds or as a date, up to maxRetryAfterSeconds", (t) => {
  t.is(retryDelayMs(answered(Code.Unavailable, { "retry-after": "3" }), { ...highest, failures: 1 }), 3000);
  t.is(retryDelayMs(answered(Code.Unavailable, { "retry-after": "0" }), { ...highest, failures: 1 }), 500);
  const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
  const untilThen = retryDelayMs(answered(Code.Unavailable, { "retry-after": inFiveSeconds }), { ...lowest, failures: 1 }) ?? 0;
  t.true(untilThen > 3_000 && untilThen <= 5_000);
  const limited = answered(Code.ResourceExhausted, { "retry-after": "61" }, ErrorReason.RATE_LIMITED);
  t.is(retryDelayMs(limited, { ...lowest, failures: 1 }), undefined);
  t.is(retryDelayMs(limited, { ...lowest, maxRetryAfterSeconds: 61, failures: 1 }), 61_000);
});

test("sdk - rate-limited answers are retried; after a 503, without an answer or after a 504, only calls safe to repeat", (t) => {
  for (const code of [Code.InvalidArgument, Code.NotFound, Code.Internal, Code.PermissionDenied, Code.Unauthenticated]) {
    t.is(retryDelayMs(answered(code), { ...lowest, failures: 1 }), undefined, Code[code]);
  }
  t.is(retryDelayMs(answered(Code.ResourceExhausted, {}, ErrorReason.TOO_LARGE), { ...lowest, failures: 1 }), undefined);
  t.is(retryDelayMs(answered(Code.ResourceExhausted, {}, ErrorReason.RATE_LIMITED), { ...lowest, failures: 1 }), 250);

  for (const code of [Code.Unavailable, Code.DeadlineExceeded]) {
    const lost = new ConnectError("no answer", code);
    t.is(retryDelayMs(lost, { ...lowest, failures: 1 }), 250);
    t.is(retryDelayMs(lost, { ...lowest, safeToRepeat: false, failures: 1 }), undefined);
  }
  t.is(retryDelayMs(answered(Code.Unavailable), { ...lowest, failures: 1 }), 250);
  t.is(retryDelayMs(answered(Code.Unavailable), { ...lowest, safeToRepeat: false, failures: 1 }), undefined, "a 503 may follow the deed");
  const limited = answered(Code.ResourceExhausted, {}, ErrorReason.RATE_LIMITED);
  t.is(retryDelayMs(limited, { ...lowest, safeToRepeat: false, failures: 1 }), 250, "a rate-limited call was not carried out");
  const gatewayTimeout = answered(Code.DeadlineExceeded);
  t.is(retryDelayMs(gatewayTimeout, { ...lowest, failures: 1 }), 250, "a backend that did not answer in time is like no answer");
  t.is(retryDelayMs(gatewayTimeout, { ...lowest, safeToRepeat: false, failures: 1 }), undefined);
  t.is(retryDelayMs(new ConnectError("cancelled", Code.Canceled), { ...lowest, failures: 1 }), undefined);
});
