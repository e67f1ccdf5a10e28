// What an attempt's outcome means for its delivery: done, tried again after a wait from the schedule, or given up.
import { ConfigError, type Setting } from "../../shared/config.js";
import type { AttemptOutcome } from "./post.js";

const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const duration = /^(\d+)(ms|s|m|h|d)$/;

// Retries come up to this much later than scheduled, at random, so that the failures of one outage do not all
// come back at the same instant; never earlier, so the documented schedule is a promise.
const jitter = 0.2;

// A receiver's Retry-After is honoured up to a day: beyond that the schedule's own waits apply.
const maxRetryAfterMs = unitMs.d;

/** The waits between attempts, as "5s,5m,2h": each a whole number of ms, s, m, h or d. */
export function retrySchedule(env: string, fallback: string): Setting<number[]> {
  return {
    env,
    read(raw) {
      const parts = (raw || fallback).split(",").map((part) => duration.exec(part.trim()));
      if (parts.some((match) => !match)) throw new ConfigError(env, `expected waits such as "5s,5m,2h", got "${raw}"`);
      const waits = parts.map((match) => Number(match![1]) * unitMs[match![2] as keyof typeof unitMs]);
      // A wait is added to the time of a failed attempt, in Postgres: one of 300,000 years or more ("1" and 400 zeros
      // read as Infinity) put the next attempt beyond its timestamps and failed the statement recording a whole batch.
      if (waits.some((ms) => !Number.isSafeInteger(ms))) {
        throw new ConfigError(env, `each wait must be at most ${Number.MAX_SAFE_INTEGER} ms (about 285,000 years), got "${raw}"`);
      }
      return waits;
    },
  };
}

/** Why a delivery stopped without succeeding. */
export type FailureReason = "exhausted" | "aborted" | "gone";

export type Verdict = { state: "succeeded" } | { state: "pending"; retryInMs: number } | { state: "failed"; reason: FailureReason };

/**
 * The verdict on a delivery after its attempt number `attempt` (1 for the first). 410 Gone and the header
 * `webhook-delivery: abort-message` end it at once; otherwise it is tried again until the schedule runs out.
 */
export function verdictOf(outcome: AttemptOutcome, attempt: number, schedule: number[], random = Math.random): Verdict {
  if (outcome.status === "succeeded") return { state: "succeeded" };
  if (outcome.responseStatus === 410) return { state: "failed", reason: "gone" };
  if (outcome.abort) return { state: "failed", reason: "aborted" };
  const wait = schedule[attempt - 1];
  if (wait === undefined) return { state: "failed", reason: "exhausted" };
  const planned = Math.round(wait * (1 + jitter * random()));
  return { state: "pending", retryInMs: Math.max(planned, Math.min(outcome.retryAfterMs, maxRetryAfterMs)) };
}
