// Each org's limit of events a minute, by its plan: a token bucket shared by every gateway replica, spent locally in chunks.
import { RateLimited, TooLarge } from "../shared/domain-errors.js";
import type { Quota } from "../shared/quota.js";
import type { Policy, SharedBuckets } from "./shared-buckets.js";

interface OrgTokens {
  /** Leased from the shared bucket and not spent yet. */
  tokens: number;
  /** The shared bucket's level after this replica's last lease, and when that was. */
  level: number;
  levelAt: number;
  policy: Policy;
  /** Leases of one org are taken one at a time: one in flight serves the requests that wait behind it. */
  queue: Promise<unknown>;
  lastUse: number;
}

// A lease takes this long's worth of the plan's rate: a replica asks the shared bucket ten times a second at
// most under a steady load, and leaves at most this much unused when its load moves to another replica.
const leaseMs = 100;
// Orgs not heard of for this long are forgotten; what they leased is theirs no more.
const idleMs = 10 * 60 * 1000;

export class RateLimiter {
  readonly #orgs = new Map<string, OrgTokens>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly buckets: SharedBuckets) {
    this.#sweeper = setInterval(() => this.#forgetIdle(), idleMs);
    this.#sweeper.unref();
  }

  /** Spends cost events of the org's allowance; throws RateLimited, with when to retry, when the plan allows no more now. */
  take(orgId: string, eventsPerMinute: number, cost: number): Promise<Quota> {
    const org = this.#org(orgId, eventsPerMinute);
    if (cost > org.policy.capacity) {
      throw new TooLarge(
        "events",
        `${cost} events in one request are more than the plan allows in a minute (${org.policy.capacity}): send fewer`,
      );
    }
    if (org.tokens >= cost) return Promise.resolve(this.#spend(org, cost));
    const taken = org.queue.then(() => this.#leaseAndSpend(orgId, org, cost));
    org.queue = taken.catch(() => undefined);
    return taken;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  async #leaseAndSpend(orgId: string, org: OrgTokens, cost: number): Promise<Quota> {
    // A lease that landed while this request waited may already cover it.
    if (org.tokens >= cost) return this.#spend(org, cost);
    const need = cost - org.tokens;
    // Other replicas only ever lower the shared level: when what this one last saw, refilled, is short, so is the
    // bucket, and a flood of refused requests costs NATS nothing.
    if (this.#sharedLevel(org) < need) throw this.#refusal(org, need);
    const want = Math.max(need, Math.ceil(org.policy.perMs * leaseMs));
    const { granted, level } = await this.buckets.lease(orgId, org.policy, need, want);
    org.level = level;
    org.levelAt = Date.now();
    if (granted < need) throw this.#refusal(org, need);
    org.tokens += granted;
    return this.#spend(org, cost);
  }

  #refusal(org: OrgTokens, need: number): RateLimited {
    const retryAfter = Math.max(1, Math.ceil((need - this.#sharedLevel(org)) / org.policy.perMs / 1000));
    return new RateLimited(
      `the org's plan allows ${org.policy.capacity} events a minute; retry in ${retryAfter} s`,
      retryAfter,
      this.#quota(org),
    );
  }

  /** The shared bucket's level as this replica last saw it, refilled since. */
  #sharedLevel(org: OrgTokens): number {
    return Math.min(org.policy.capacity, org.level + (Date.now() - org.levelAt) * org.policy.perMs);
  }

  #spend(org: OrgTokens, cost: number): Quota {
    org.tokens -= cost;
    org.lastUse = Date.now();
    return this.#quota(org);
  }

  /** The shared level as last seen, refilled since, with what this replica holds unspent. */
  #quota(org: OrgTokens): Quota {
    const { capacity, perMs } = org.policy;
    const remaining = Math.min(capacity, Math.floor(this.#sharedLevel(org) + org.tokens));
    return { limit: capacity, remaining, resetSeconds: Math.ceil((capacity - remaining) / perMs / 1000) };
  }

  #org(orgId: string, eventsPerMinute: number): OrgTokens {
    let org = this.#orgs.get(orgId);
    if (!org) {
      org = {
        tokens: 0,
        level: eventsPerMinute,
        levelAt: Date.now(),
        policy: policyOf(eventsPerMinute),
        queue: Promise.resolve(),
        lastUse: 0,
      };
      this.#orgs.set(orgId, org);
    }
    // A plan changed since: its verdict, and so its limit, reach us anew. What we saw of the bucket is no guide now.
    if (org.policy.capacity !== eventsPerMinute) {
      org.policy = policyOf(eventsPerMinute);
      org.level = eventsPerMinute;
    }
    return org;
  }

  #forgetIdle(): void {
    const before = Date.now() - idleMs;
    for (const [orgId, org] of this.#orgs) if (org.lastUse < before) this.#orgs.delete(orgId);
  }
}

function policyOf(eventsPerMinute: number): Policy {
  return { capacity: eventsPerMinute, perMs: eventsPerMinute / 60_000 };
}
