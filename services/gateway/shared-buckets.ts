// Each org's token bucket, shared by every gateway replica through a NATS KV bucket, leased in chunks with compare-and-set.
import { Code, ConnectError } from "@connectrpc/connect";
import type { KV } from "nats";
import { isRevisionTaken } from "../shared/streams.js";

/** A bucket's size and refill: a plan's events a minute. */
export interface Policy {
  capacity: number;
  /** Tokens added per millisecond. */
  perMs: number;
}

/** What a lease got: the tokens granted (0 when there were fewer than needed), and what the bucket held after. */
export interface Lease {
  granted: number;
  level: number;
}

interface Stored {
  tokens: number;
  /** When the level was tokens, ms since the epoch; replicas' clocks should agree (NTP). */
  at: number;
}

// Replicas leasing for one org at once: one writes, the others read again after a random pause that grows with
// each try, so that they stop colliding. Tries go on for this long, not for a number of tries: on a loaded machine
// every round trip is slower, more of them collide, and twelve tries were seen to run out under a test's load.
const leaseTimeoutMs = 2_000;
const pauseMs = (attempt: number) => Math.random() * 2 ** Math.min(attempt, 6);

export class SharedBuckets {
  constructor(private readonly kv: KV) {}

  /**
   * Takes up to want tokens, at least need, from the org's bucket; takes nothing when it holds fewer than need.
   * Tokens are taken for good: what a replica leases and does not use is lost to the org, never granted twice.
   */
  async lease(orgId: string, policy: Policy, need: number, want: number): Promise<Lease> {
    const deadline = Date.now() + leaseTimeoutMs;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const entry = await this.kv.get(orgId);
      const now = Date.now();
      const stored = entry?.operation === "PUT" ? entry.json<Stored>() : undefined;
      const level = stored ? Math.min(policy.capacity, stored.tokens + Math.max(0, now - stored.at) * policy.perMs) : policy.capacity;
      if (level < need) return { granted: 0, level };
      const granted = Math.min(Math.floor(level), want);
      // Never back in time: a replica whose clock is behind would otherwise hand the next one its lag as refill.
      const value = JSON.stringify({ tokens: level - granted, at: Math.max(now, stored?.at ?? now) } satisfies Stored);
      try {
        if (entry) await this.kv.update(orgId, value, entry.revision);
        else await this.kv.create(orgId, value);
        return { granted, level: level - granted };
      } catch (err) {
        if (!isRevisionTaken(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, pauseMs(attempt)));
      }
    }
    throw new ConnectError("the rate limit could not be checked, try again", Code.Unavailable);
  }
}
