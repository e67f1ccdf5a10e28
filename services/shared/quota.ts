// Where an org stands against its plan, and the headers that tell clients so (the IETF RateLimit draft's, and Retry-After).

export interface Quota {
  /** Events a minute, the bucket's size. */
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

/** The limit (events a minute), what remains, and when the bucket is full again: three headers on every publish. */
export function quotaHeaders(quota: Quota): Record<string, string> {
  return {
    "ratelimit-limit": String(quota.limit),
    "ratelimit-remaining": String(quota.remaining),
    "ratelimit-reset": String(quota.resetSeconds),
  };
}
