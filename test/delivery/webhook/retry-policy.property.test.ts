// The retry policy under generated input: any schedule text is read as waits or refused naming its setting, and any
// outcome of any attempt gives a verdict whose wait is finite, never earlier than the schedule's, and bounded.
import test from "ava";
import fc from "fast-check";
import type { AttemptOutcome } from "../../../services/delivery/webhook/post.js";
import { retrySchedule, verdictOf } from "../../../services/delivery/webhook/retry-policy.js";
import { ConfigError } from "../../../services/shared/config.js";
import { outcomeOf, runs } from "../../helpers/properties.js";

const day = 86_400_000;
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: day };

// Schedules as operators write them, well or badly: numbers of any length, any unit, spaces, and anything else.
const wait = fc
  .tuple(
    fc.oneof(fc.nat().map(String), fc.stringMatching(/^\d{1,400}$/), fc.constantFrom("-5", "1.5", "1e3", "", " 7")),
    fc.constantFrom("ms", "s", "m", "h", "d", "", "w", "S", " s"),
    fc.constantFrom("", " ", "\t"),
  )
  .map(([amount, unit, space]) => `${space}${amount}${unit}${space}`);
const scheduleText = fc.oneof(
  fc.array(wait, { minLength: 1, maxLength: 8 }).map((waits) => waits.join(",")),
  fc.string({ unit: "binary" }),
);

const isConfigError = (err: unknown): err is ConfigError => err instanceof ConfigError;

test("retry policy - any schedule is read as finite whole waits in ms or refused naming its setting", (t) => {
  fc.assert(
    fc.property(scheduleText, (text) => {
      const read = outcomeOf(() => retrySchedule("DELIVERY_RETRY_SCHEDULE", "5s").read(text), isConfigError);
      if (read.refused) return read.refused.message.startsWith("DELIVERY_RETRY_SCHEDULE: ");
      return read.value.length > 0 && read.value.every((ms) => Number.isSafeInteger(ms) && ms >= 0);
    }),
    runs,
  );
  t.pass();
});

test("retry policy - a schedule of whole amounts reads as each amount times its unit", (t) => {
  const amounts = fc.array(fc.tuple(fc.nat(1_000_000), fc.constantFrom(...Object.keys(unitMs))), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(amounts, (waits) => {
      const read = retrySchedule("DELIVERY_RETRY_SCHEDULE", "5s").read(waits.map(([n, unit]) => `${n}${unit}`).join(", "));
      return read.every((ms, i) => ms === waits[i]![0] * unitMs[waits[i]![1]]!);
    }),
    runs,
  );
  t.pass();
});

// Schedules as the config reads them, and outcomes as post.ts makes them: a Retry-After of any length, or none.
const schedule = scheduleText.chain((text) => {
  const read = outcomeOf(() => retrySchedule("DELIVERY_RETRY_SCHEDULE", "5s").read(text), isConfigError);
  return read.refused ? fc.array(fc.nat(10 * day), { maxLength: 8 }) : fc.constant(read.value);
});
const outcome: fc.Arbitrary<AttemptOutcome> = fc.record({
  status: fc.constantFrom("succeeded", "failed"),
  responseStatus: fc.oneof(fc.constantFrom(0, 200, 410, 429, 500, 503), fc.integer({ min: 100, max: 599 })),
  error: fc.string(),
  responseBody: fc.string(),
  durationMs: fc.nat(),
  retryAfterMs: fc.oneof(
    fc.constant(0),
    fc.nat(),
    fc.nat(2 * day),
    // Whole ms, as retryAfterMs gives them: seconds times 1000, or the ms to a date; Infinity for 309 digits or more.
    fc.double({ min: 0, noNaN: true }).map(Math.floor),
  ),
  abort: fc.boolean(),
});
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

test("retry policy - any outcome of any attempt is settled, or waits at least its turn of the schedule and at most a day or a fifth more", (t) => {
  fc.assert(
    fc.property(outcome, fc.integer({ min: 1, max: 12 }), schedule, random, (attempt, number, waits, r) => {
      const verdict = verdictOf(attempt, number, waits, () => r);
      if (attempt.status === "succeeded") return verdict.state === "succeeded";
      if (attempt.responseStatus === 410) return verdict.state === "failed" && verdict.reason === "gone";
      if (attempt.abort) return verdict.state === "failed" && verdict.reason === "aborted";
      const turn = waits[number - 1];
      if (turn === undefined) return verdict.state === "failed" && verdict.reason === "exhausted";
      if (verdict.state !== "pending") return false;
      const { retryInMs } = verdict;
      return (
        Number.isSafeInteger(retryInMs) &&
        retryInMs >= turn &&
        retryInMs >= Math.min(attempt.retryAfterMs, day) &&
        retryInMs <= Math.max(Math.round(turn * 1.2), day)
      );
    }),
    runs,
  );
  t.pass();
});

test("retry policy - a later draw of the jitter or a longer Retry-After never makes the wait shorter", (t) => {
  fc.assert(
    fc.property(outcome, schedule, random, random, fc.nat(3 * day), (attempt, waits, r1, r2, longer) => {
      fc.pre(waits.length > 0);
      const failed = { ...attempt, status: "failed" as const, responseStatus: 503, abort: false };
      const retryIn = (a: AttemptOutcome, r: number) => {
        const verdict = verdictOf(a, 1, waits, () => r);
        return verdict.state === "pending" ? verdict.retryInMs : Number.NaN;
      };
      const [low, high] = r1 <= r2 ? [r1, r2] : [r2, r1];
      return (
        retryIn(failed, low) <= retryIn(failed, high) &&
        retryIn(failed, low) <= retryIn({ ...failed, retryAfterMs: failed.retryAfterMs + longer }, low)
      );
    }),
    runs,
  );
  t.pass();
});
