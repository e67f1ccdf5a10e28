// Arrivals against a real nats-server: a watch hears of its org's events, also those announced before it waits.
import test from "ava";
import { connect, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { Arrivals } from "../../services/shared/arrivals.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";

let server: NatsServer;
let nc: NatsConnection;
let arrivals: Arrivals;

test.before(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  arrivals = new Arrivals(nc);
});

test.after.always(async () => {
  arrivals?.close();
  await nc?.close();
  await server?.stop();
});

/** Whether the wait ended by an announcement rather than by running out: the wait is far longer than any test. */
async function woken(wait: Promise<void>, signal: AbortController): Promise<boolean> {
  const outcome = await Promise.race([wait.then(() => "woken"), new Promise((resolve) => setTimeout(() => resolve("waiting"), 2_000))]);
  signal.abort();
  return outcome === "woken";
}

test("arrivals - an announcement made between reading the inbox and waiting still wakes the wait", async (t) => {
  const orgId = uuidv7();
  const watch = arrivals.watch(orgId);
  t.teardown(watch.close);
  arrivals.announce([orgId]);
  await nc.flush();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const giveUp = new AbortController();
  t.true(await woken(watch.next(60_000, giveUp.signal), giveUp));
});

test("arrivals - a wait hears of its own org's events only, and each announcement once", async (t) => {
  const [mine, theirs] = [uuidv7(), uuidv7()];
  const watch = arrivals.watch(mine);
  t.teardown(watch.close);
  const first = new AbortController();
  const waiting = watch.next(60_000, first.signal);
  arrivals.announce([theirs]);
  await nc.flush();
  t.false(await woken(waiting, first));
  const second = new AbortController();
  const again = watch.next(60_000, second.signal);
  arrivals.announce([mine]);
  t.true(await woken(again, second));
  const third = new AbortController();
  t.false(await woken(watch.next(60_000, third.signal), third), "the announcement was used up");
});
