// At least once: delivery is killed with SIGKILL while events pour in, and after its restarts every accepted event reaches the webhook.
import { setTimeout as sleep } from "node:timers/promises";
import test from "ava";
import postgres from "postgres";
import { freshForMs } from "../../services/delivery/pipeline/consumer.js";
import { deliveryLeaseMs } from "../../services/delivery/pipeline/leases.js";
import { apiClient } from "../helpers/api-client.js";
import { eventually, whileProgressing } from "../helpers/eventually.js";
import { postUnderLoad } from "../helpers/load.js";
import { startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  // Webhook timeouts as deployed (10 s): leases no longer grow with them, or with the queue.
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

/** How long from now the latest lease of a pending delivery ends, in ms; parked deliveries have none. */
async function latestLeaseEndMs(): Promise<number> {
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ ms: number | null }[]>`
      select extract(epoch from max(next_attempt_at) - now()) * 1000 as ms from delivery.deliveries
      where state = 'pending' and next_attempt_at <> 'infinity'`;
    return row?.ms ?? 0;
  } finally {
    await sql.end();
  }
}

test("delivery crash - every event accepted around SIGKILLs of delivery reaches the subscription at least once, and what a killed worker held falls due within a lease", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  // A slow endpoint: the backlog a restarted worker reads waits in the subscription's lane, held by it.
  const hook = await startReceiver((_req, res) => void setTimeout(() => res.end("ok"), 100));
  t.teardown(hook.close);
  t.is((await api.post("/v1/subscriptions", { url: hook.url })).status, 200);
  const before = postUnderLoad(api, "load.tick");
  t.teardown(before.stop);

  await eventually(() => (hook.requests.length >= 100 ? true : undefined), "deliveries under way");
  t.is((await stack.kill("delivery", "SIGKILL")).signal, "SIGKILL");
  const killedAt = Date.now();
  const acceptedWhileUp = before.accepted.length;
  await eventually(() => (before.accepted.length >= acceptedWhileUp + 300 ? true : undefined), "events accepted while delivery is down");
  await before.stop();
  // Once this old, the backlog is no longer fresh, so the restarted worker stores its deliveries and holds them by
  // lease; and every lease the killed worker held has ended, so any lease running is the restarted worker's.
  await sleep(Math.max(freshForMs, deliveryLeaseMs) - (Date.now() - killedAt));
  await stack.start("delivery");
  const after = postUnderLoad(api, "load.tick");
  t.teardown(after.stop);
  await eventually(async () => ((await latestLeaseEndMs()) > 0 ? true : undefined), "the restarted worker holding deliveries");
  t.is((await stack.kill("delivery", "SIGKILL")).signal, "SIGKILL");
  // Every lease was taken or renewed at most 15 s (deliveryLeaseMs) before it ends, however deep the queue behind it.
  const leaseEndMs = await latestLeaseEndMs();
  t.log(`the latest lease the killed worker held ends ${Math.round(leaseEndMs)} ms after its death`);
  t.true(leaseEndMs > 0, "the worker held deliveries when it died");
  t.true(leaseEndMs <= deliveryLeaseMs, `a lease ends ${Math.round(leaseEndMs)} ms on`);
  await stack.start("delivery");
  await eventually(() => (after.accepted.length >= 700 ? true : undefined), "events accepted after the restarts");
  await after.stop();

  const accepted = [...before.accepted, ...after.accepted];
  const received = () => new Set(hook.requests.map((r) => r.headers["webhook-id"] as string));
  await whileProgressing(async () => {
    const ids = received();
    return { done: accepted.every((id) => ids.has(id)), progress: ids.size };
  }, "every accepted event delivered");
  t.true(accepted.length >= 1000, `${accepted.length} events accepted`);
  t.true(accepted.every((id) => received().has(id)));
});
