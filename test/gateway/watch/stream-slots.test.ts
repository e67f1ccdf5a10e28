// A key's stream slots against a real NATS KV: shared by replicas, never more held than the bound, freed on release, and a dead holder's expiring.
import test from "ava";
import { connect, type KV, type NatsConnection } from "nats";
import { type Slot, StreamSlots } from "../../../services/gateway/watch/stream-slots.js";
import { TooManyStreams } from "../../../services/shared/domain-errors.js";
import { createLogger } from "../../../services/shared/logger.js";
import { streamSlotsBucket } from "../../../services/shared/streams.js";
import { type NatsServer, startNatsServer } from "../../../tools/stack/nats.js";
import { eventually } from "../../helpers/eventually.js";

let server: NatsServer;
let connections: NatsConnection[];

const perKey = 4;
const logger = createLogger("stream-slots-test", "silent");

test.before(async () => {
  server = await startNatsServer();
  connections = await Promise.all([1, 2, 3].map(() => connect({ servers: server.url })));
});

test.after.always(async () => {
  await Promise.all((connections ?? []).map((nc) => nc.close()));
  await server?.stop();
});

/** One StreamSlots a connection, each standing for a gateway replica, on a bucket whose slots expire after ttlMs. */
async function replicas(bucket: string, ttlMs = 60_000): Promise<StreamSlots[]> {
  const options = { ...streamSlotsBucket(1).options, ttl: ttlMs };
  const kvs: KV[] = await Promise.all(connections.map((nc) => nc.jetstream().views.kv(bucket, options)));
  return kvs.map((kv) => new StreamSlots(kv, perKey, logger));
}

function closeAll(slots: StreamSlots[]): void {
  for (const each of slots) each.close();
}

async function claims(slots: StreamSlots[], keyId: string, count: number) {
  return Promise.allSettled(Array.from({ length: count }, (_, i) => slots[i % slots.length]!.claim(keyId)));
}

test("stream slots - replicas claiming at once never hold more than the bound of a key; the rest are refused as too many streams", async (t) => {
  const slots = await replicas("SLOTS_AT_ONCE");
  t.teardown(() => closeAll(slots));
  const results = await claims(slots, "keyA", 20);
  const held = results.filter((r) => r.status === "fulfilled");
  t.is(held.length, perKey);
  for (const r of results) if (r.status === "rejected") t.true(r.reason instanceof TooManyStreams);
  // Another key has bounds of its own.
  t.is((await claims(slots, "keyB", perKey)).filter((r) => r.status === "fulfilled").length, perKey);
});

test("stream slots - a released slot can be claimed again, by any replica", async (t) => {
  const [one, two] = await replicas("SLOTS_RELEASED");
  t.teardown(() => closeAll([one!, two!]));
  const held: Slot[] = [];
  for (let i = 0; i < perKey; i++) held.push(await one!.claim("key"));
  await t.throwsAsync(two!.claim("key"), { instanceOf: TooManyStreams });
  held.pop()!.release();
  await eventually(() => two!.claim("key").catch(() => undefined), "the released slot");
  t.pass();
});

test("stream slots - the slots of a replica that died expire, and are claimed again", async (t) => {
  const [dead, alive] = await replicas("SLOTS_EXPIRED", 1_000);
  t.teardown(() => closeAll([dead!, alive!]));
  for (let i = 0; i < perKey; i++) await dead!.claim("key");
  // The dead replica neither releases nor rewrites its slots.
  dead!.close();
  await t.throwsAsync(alive!.claim("key"), { instanceOf: TooManyStreams });
  await eventually(() => alive!.claim("key").catch(() => undefined), "an expired slot");
  t.pass();
});
