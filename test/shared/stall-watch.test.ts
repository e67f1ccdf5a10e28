// The stall watch against a real nats-server: a reader that receives nothing while messages wait for it is reported,
// and a reader at work, one waiting on what it holds, or one with nothing to read is not.
import test from "ava";
import { AckPolicy, connect, type JetStreamClient, type NatsConnection } from "nats";
import { StalledReaderError, type StallWatch, watchForStall } from "../../services/shared/stall-watch.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";

let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;

// Short, so that each test sees several periods; the services watch with 30 s.
const quietMs = 300;

test.before(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  js = nc.jetstream();
});

test.after.always(async () => {
  await nc?.close();
  await server?.stop();
});

let streams = 0;

/** A stream of its own with a durable consumer, and that consumer as the readers get it. */
async function consumerWith(messages: number) {
  const name = `STALL_${++streams}`;
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await jsm.consumers.add(name, { durable_name: "reader", ack_policy: AckPolicy.Explicit });
  for (let i = 0; i < messages; i++) await js.publish(`${name}.event`, new TextEncoder().encode(`m${i}`));
  return { name, consumer: await js.consumers.get(name, "reader") };
}

/** Whether the watch reported a stall within the given periods. */
async function stalledWithin(watch: StallWatch, periods: number): Promise<boolean> {
  const quiet = new Promise<false>((resolve) => setTimeout(() => resolve(false), periods * quietMs));
  try {
    return await Promise.race([watch.stalled, quiet]);
  } catch (err) {
    if (err instanceof StalledReaderError) return true;
    throw err;
  } finally {
    watch.stop();
  }
}

test("stall watch - a reader that receives nothing while messages wait and nobody holds any is stalled", async (t) => {
  const { consumer } = await consumerWith(5);
  const watch = watchForStall(consumer, quietMs);
  const err = await t.throwsAsync(watch.stalled, { instanceOf: StalledReaderError });
  t.regex(err!.message, /5 messages waited/);
  watch.stop();
});

test("stall watch - a reader working through a backlog, holding nothing between messages, is not stalled", async (t) => {
  const { consumer } = await consumerWith(200);
  const watch = watchForStall(consumer, quietMs);
  let reading = true;
  t.teardown(() => {
    reading = false;
  });
  // One message at a time, acked at once, then a pause: most of the time messages wait and nobody holds any.
  void (async () => {
    while (reading) {
      for await (const msg of watch.through(await consumer.fetch({ max_messages: 1, expires: 1_000 }))) msg.ack();
      await new Promise((resolve) => setTimeout(resolve, quietMs / 3));
    }
  })();
  t.false(await stalledWithin(watch, 8));
});

test("stall watch - a reader holding messages it has not finished with is busy, not stalled", async (t) => {
  const { consumer } = await consumerWith(20);
  const watch = watchForStall(consumer, quietMs);
  // Takes a few messages and never acks them, as a reader waiting on a slow store does, while more wait behind.
  const held = await consumer.fetch({ max_messages: 3, expires: 1_000 });
  for await (const _ of watch.through(held));
  t.false(await stalledWithin(watch, 8));
});

test("stall watch - a reader with nothing to read is not stalled", async (t) => {
  const { consumer } = await consumerWith(0);
  const watch = watchForStall(consumer, quietMs);
  t.false(await stalledWithin(watch, 8));
});
