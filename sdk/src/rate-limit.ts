// Reading the rate-limit headers of an answer: RateLimit-Limit, -Remaining, -Reset, and Retry-After.

/** Where the org stands against its plan after a publish: events a minute, what remains, seconds until full again. */
export interface RateLimit {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** The answer's RateLimit-* headers, when it has them (publishes do). */
export function rateLimitOf(headers: Headers): RateLimit | undefined {
  const limit = numberOf(headers.get("ratelimit-limit"));
  const remaining = numberOf(headers.get("ratelimit-remaining"));
  const resetSeconds = numberOf(headers.get("ratelimit-reset"));
  if (limit === undefined || remaining === undefined || resetSeconds === undefined) return undefined;
  return { limit, remaining, resetSeconds };
}

/** Retry-After in seconds, whether it was sent as seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterSecondsOf(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = numberOf(value);
  if (seconds !== undefined) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function numberOf(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}
