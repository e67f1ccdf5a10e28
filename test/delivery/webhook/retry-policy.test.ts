// What an attempt's outcome means for its delivery: success, a retry after its wait (never earlier), or the end.
import test from "ava";
import type { AttemptOutcome } from "../../../services/delivery/webhook/post.js";
import { retrySchedule, verdictOf } from "../../../services/delivery/webhook/retry-policy.js";
import { ConfigError } from "../../../services/shared/config.js";

const schedule = [5_000, 300_000];
const answered = (responseStatus: number, extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
  status: responseStatus >= 200 && responseStatus < 300 ? "succeeded" : "failed",
  responseStatus,
  error: "",
  responseBody: "",
  durationMs: 5,
  retryAfterMs: 0,
  abort: false,
  ...extra,
});

test("retry policy - a 2xx answer settles the delivery as succeeded", (t) => {
  t.deepEqual(verdictOf(answered(204), 1, schedule), { state: "succeeded" });
});

test("retry policy - a failure waits its turn of the schedule plus at most a fifth more, never less", (t) => {
  t.deepEqual(
    verdictOf(answered(500), 1, schedule, () => 0),
    { state: "pending", retryInMs: 5_000 },
  );
  t.deepEqual(
    verdictOf(answered(500), 1, schedule, () => 0.999_999),
    { state: "pending", retryInMs: 6_000 },
  );
  t.deepEqual(
    verdictOf(answered(0, { error: "timeout" }), 2, schedule, () => 0),
    { state: "pending", retryInMs: 300_000 },
  );
});

test("retry policy - after the schedule's last wait the next failure is the last", (t) => {
  t.deepEqual(verdictOf(answered(500), 3, schedule), { state: "failed", reason: "exhausted" });
  t.deepEqual(verdictOf(answered(500), 9, schedule), { state: "failed", reason: "exhausted" }, "a replayed delivery gets one attempt");
});

test("retry policy - 410 Gone and the receiver's abort end the delivery at once", (t) => {
  t.deepEqual(verdictOf(answered(410), 1, schedule), { state: "failed", reason: "gone" });
  t.deepEqual(verdictOf(answered(400, { abort: true }), 1, schedule), { state: "failed", reason: "aborted" });
});

test("retry policy - a Retry-After longer than the wait is honoured, up to a day; a shorter one does not hurry us", (t) => {
  const random = () => 0;
  t.deepEqual(verdictOf(answered(429, { retryAfterMs: 60_000 }), 1, schedule, random), { state: "pending", retryInMs: 60_000 });
  t.deepEqual(verdictOf(answered(503, { retryAfterMs: 1_000 }), 1, schedule, random), { state: "pending", retryInMs: 5_000 });
  const week = 7 * 86_400_000;
  t.deepEqual(verdictOf(answered(429, { retryAfterMs: week }), 1, schedule, random), { state: "pending", retryInMs: 86_400_000 });
});

test("retry policy - a wait too long for the store's timestamps is refused naming its setting", (t) => {
  const read = (raw: string) => retrySchedule("DELIVERY_RETRY_SCHEDULE", "5s").read(raw);
  t.deepEqual(read("9007199254740991ms"), [Number.MAX_SAFE_INTEGER]);
  // Found by a property: a count of days that, in ms, a double no longer holds; and one it reads as Infinity.
  for (const raw of ["104249992d", `1${"0".repeat(400)}s`]) {
    const err = t.throws(() => read(raw), { instanceOf: ConfigError });
    t.regex(err?.message ?? "", /^DELIVERY_RETRY_SCHEDULE: each wait must be at most/);
  }
});
