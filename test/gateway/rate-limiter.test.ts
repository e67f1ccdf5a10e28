// The org's token bucket against a real NATS KV: shared by replicas, never granting more than it holds, refilling at the plan's rate.
import test from "ava";
import { connect, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { RateLimiter } from "../../services/gateway/rate-limiter.js";
import { SharedBuckets } from "../../services/gateway/shared-buckets.js";
import { RateLimited, TooLarge } from "../../services/shared/domain-errors.js";
import type { Quota } from "../../services/shared/quota.js";
import { rateLimitsBucket } from "../../services/shared/streams.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";

let server: NatsServer;
let connections: NatsConnection[];
/** Each limiter stands for one gateway replica, with a connection of its own. */
let replicas: RateLimiter[];

const bucket = rateLimitsBucket(1);

test.before(async () => {
  server = await startNatsServer();
  connections = await Promise.all([1, 2, 3].map(() => connect({ servers: server.url })));
  replicas = await Promise.all(
    connections.map(async (nc) => new RateLimiter(new SharedBuckets(await nc.jetstream().views.kv(bucket.name, bucket.options)))),
  );
});

test.after.always(async () => {
  for (const replica of replicas ?? []) replica.close();
  await Promise.all((connections ?? []).map((nc) => nc.close()));
  await server?.stop();
});

/** How many of the takes succeeded, in events; a take that fails must fail as RateLimited. */
async function granted(takes: { replica: RateLimiter; cost: number }[], orgId: string, perMinute: number): Promise<number> {
  const results = await Promise.allSettled(takes.map(({ replica, cost }) => replica.take(orgId, perMinute, cost)));
  return results.reduce((sum, result, i) => {
    if (result.status === "rejected" && !(result.reason instanceof RateLimited)) throw result.reason;
    return sum + (result.status === "fulfilled" ? takes[i]!.cost : 0);
  }, 0);
}

test("rate limiter - three replicas taking at once never grant more than the bucket holds", async (t) => {
  const orgId = uuidv7();
  const takes = Array.from({ length: 300 }, (_, i) => ({ replica: replicas[i % 3]!, cost: 1 + (i % 4) }));
  const started = performance.now();
  const total = await granted(takes, orgId, 600);
  // 600 a minute refill one every 100 ms while the takes go on, however long a loaded machine makes them.
  const refilled = Math.ceil((performance.now() - started) / 100);
  t.true(total <= 600 + refilled, `${total} granted, ${refilled} refilled`);
  t.true(total >= 590, `${total} granted: the bucket was used up`);
});

test("rate limiter - a refused take says when to retry and how the bucket stands", async (t) => {
  const orgId = uuidv7();
  await replicas[0]!.take(orgId, 60, 60);
  const err = await t.throwsAsync(replicas[1]!.take(orgId, 60, 5), { instanceOf: RateLimited });
  t.true(err!.retryAfterSeconds >= 5);
  t.like(err!.quota, { limit: 60, remaining: 0 });
});

test("rate limiter - the bucket refills at the plan's rate", async (t) => {
  const orgId = uuidv7();
  await replicas[0]!.take(orgId, 600, 600);
  // 600 a minute is one every 100 ms: five take half a second to come back.
  await t.throwsAsync(replicas[1]!.take(orgId, 600, 5), { instanceOf: RateLimited });
  await new Promise((resolve) => setTimeout(resolve, 600));
  const quota: Quota = await replicas[1]!.take(orgId, 600, 5);
  t.is(quota.limit, 600);
  t.true(quota.resetSeconds >= 1);
});

test("rate limiter - one request costing more than the plan's minute is too large, whatever is left", async (t) => {
  t.throws(() => replicas[0]!.take(uuidv7(), 10, 11), { instanceOf: TooLarge });
});

test("rate limiter - a replica spends what it leased before asking again, and answers what remains", async (t) => {
  const orgId = uuidv7();
  // 60,000 a minute: a lease takes 100 ms of it, 100 tokens.
  const first = await replicas[0]!.take(orgId, 60_000, 1);
  // One token spent; the bucket refills one a millisecond, so a millisecond between the lease and the answer gives it back.
  t.true(first.remaining === 59_999 || first.remaining === 60_000, `${first.remaining} remaining`);
  const kv = await connections[0]!.jetstream().views.kv(bucket.name);
  const revision = (await kv.get(orgId))!.revision;
  for (let i = 0; i < 99; i++) await replicas[0]!.take(orgId, 60_000, 1);
  t.is((await kv.get(orgId))!.revision, revision, "the 99 others were spent from the lease");
  await replicas[0]!.take(orgId, 60_000, 1);
  t.not((await kv.get(orgId))!.revision, revision);
});
