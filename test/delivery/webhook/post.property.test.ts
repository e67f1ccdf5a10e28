// A receiver's Retry-After under generated input: any value is read as a wait in whole ms or as none, never a throw,
// and whatever it says, the retry it leads to waits a bounded time.
import test from "ava";
import fc from "fast-check";
import { type AttemptOutcome, retryAfterMs } from "../../../services/delivery/webhook/post.js";
import { verdictOf } from "../../../services/delivery/webhook/retry-policy.js";
import { runs } from "../../helpers/properties.js";

const day = 86_400_000;
// Dates an HTTP date can write: four-digit years.
const httpDate = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true });
const now = fc.integer({ min: 0, max: Date.parse("2200-01-01T00:00:00Z") });

// What receivers send: seconds of any length, negative or decimal numbers, dates in any format, and anything else.
const retryAfter = fc.option(
  fc.oneof(
    fc.nat().map(String),
    fc.stringMatching(/^\d{1,400}$/),
    fc.integer().map(String),
    fc.double().map(String),
    httpDate.map((date) => date.toUTCString()),
    httpDate.map((date) => date.toISOString()),
    fc.date().map(String),
    fc.tuple(fc.constantFrom(" ", "\t", ""), fc.nat(), fc.constantFrom("", " ", "s", " seconds")).map(([a, n, b]) => `${a}${n}${b}`),
    fc.string({ unit: "binary" }),
  ),
  { nil: undefined },
);

test("retry-after - any value gives a wait of zero or more whole ms, and never throws", (t) => {
  fc.assert(
    fc.property(retryAfter, now, (value, at) => {
      const ms = retryAfterMs(value, at);
      // Infinity is a number of seconds of 309 digits or more: the policy waits a day for it, as for any wait that long.
      return ms >= 0 && (Number.isSafeInteger(ms) || ms > 1e15);
    }),
    runs,
  );
  t.pass();
});

test("retry-after - whole seconds are read as that many seconds", (t) => {
  fc.assert(
    fc.property(
      fc.nat({ max: 1e12 }),
      fc.constantFrom("", " ", "\t"),
      (seconds, space) => retryAfterMs(`${space}${seconds}${space}`) === seconds * 1000,
    ),
    runs,
  );
  t.pass();
});

test("retry-after - an HTTP date is read as the time until it, and as none once it has passed", (t) => {
  fc.assert(
    fc.property(httpDate, now, (date, at) => {
      const whole = Math.floor(date.getTime() / 1000) * 1000;
      return retryAfterMs(date.toUTCString(), at) === Math.max(0, whole - at);
    }),
    runs,
  );
  t.pass();
});

const failedWith = (responseStatus: number, retryAfterMs: number): AttemptOutcome => ({
  status: "failed",
  responseStatus,
  error: "",
  responseBody: "",
  durationMs: 1,
  retryAfterMs,
  abort: false,
});

test("retry-after - whatever a 429 or 503 says, the retry waits its turn of the schedule at least and a day at most beyond it", (t) => {
  const waits = fc.array(fc.nat(10 * day), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(retryAfter, now, fc.constantFrom(429, 503), waits, fc.nat(), (value, at, status, schedule, index) => {
      const attempt = (index % schedule.length) + 1;
      const verdict = verdictOf(failedWith(status, retryAfterMs(value, at)), attempt, schedule, () => 0);
      const turn = schedule[attempt - 1]!;
      return (
        verdict.state === "pending" &&
        Number.isSafeInteger(verdict.retryInMs) &&
        verdict.retryInMs >= turn &&
        verdict.retryInMs <= Math.max(turn, day)
      );
    }),
    runs,
  );
  t.pass();
});
