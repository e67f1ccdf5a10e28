// The transactional outbox against real Postgres and a real nats-server: a message exists exactly when its change does,
// and reaches NATS once, whether NATS is down at commit, the relay dies after publishing, or two replicas relay.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { connect, type NatsConnection } from "nats";
import pino from "pino";
import { connectDatabase, migrate, type Sql } from "../../services/shared/database.js";
import { type OutboxMessage, type OutboxRelay, startOutboxRelay, writeOutbox } from "../../services/shared/outbox.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";
import { freePort } from "../../tools/stack/ports.js";
import { eventually } from "../helpers/eventually.js";
import { createDatabase } from "../helpers/throwaway.js";

const logger = pino({ level: "silent" });
const stream = { name: "OUTBOX_TEST", subjects: ["outbox.stream.>"] };

let sql: Sql;
let drop: () => Promise<void>;

test.before(async () => {
  const database = await createDatabase();
  drop = database.drop;
  sql = connectDatabase(database.url, logger);
  await migrate(sql, "delivery", new URL("../../services/delivery/migrations/", import.meta.url), logger);
});

test.after.always(async () => {
  await sql?.end();
  await drop?.();
});

/** A nats-server of the test's own, on a port and store it keeps, so that it can be stopped and started again. */
async function ownNats(t: ExecutionContext) {
  const storeDir = await mkdtemp(path.join(os.tmpdir(), "triggers-nats-outbox-"));
  const port = await freePort();
  let server: NatsServer | undefined = await startNatsServer({ storeDir, port });
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await (await nc.jetstreamManager()).streams.add(stream);
  t.teardown(async () => {
    await nc.close();
    await server?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });
  return {
    nc,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server = await startNatsServer({ storeDir, port });
    },
  };
}

function relayOn(t: ExecutionContext, nats: NatsConnection): OutboxRelay {
  const relay = startOutboxRelay({ sql, schema: "delivery", nats, logger });
  t.teardown(relay.stop);
  return relay;
}

const tag = () => Math.random().toString(36).slice(2);

/** A message to a stream, and an announcement, both for this test alone. */
function messages(run: string, count: number): OutboxMessage[] {
  return Array.from({ length: count }, (_, i) => [
    { subject: `outbox.stream.${run}`, data: Buffer.from(`stored ${i}`), messageId: `${run}.${i}` },
    { subject: `outbox.announced.${run}`, data: Buffer.from(`announced ${i}`) },
  ]).flat();
}

async function streamed(nc: NatsConnection, run: string): Promise<string[]> {
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(stream.name, { subjects_filter: `outbox.stream.${run}` });
  const texts: string[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream.name, { seq }).catch(() => undefined);
    if (message?.subject === `outbox.stream.${run}`) texts.push(Buffer.from(message.data).toString());
  }
  return texts;
}

function heard(nc: NatsConnection, run: string): string[] {
  const texts: string[] = [];
  nc.subscribe(`outbox.announced.${run}`, { callback: (_err, msg) => texts.push(msg.string()) });
  return texts;
}

const left = async () => (await sql`select count(*)::int as n from delivery.outbox`)[0]!.n as number;

test.serial(
  "outbox - a rolled-back change sends nothing; a committed one's messages are each sent once and leave the outbox",
  async (t) => {
    const { nc } = await ownNats(t);
    const relay = relayOn(t, nc);
    const run = tag();
    const announcements = heard(nc, run);
    await nc.flush();
    await t.throwsAsync(
      sql.begin(async (tx) => {
        await writeOutbox(tx, "delivery", messages(`${run}-undone`, 1));
        throw new Error("the change failed");
      }),
    );
    await sql.begin((tx) => writeOutbox(tx, "delivery", messages(run, 3)));
    await relay.relayed();
    t.deepEqual(await streamed(nc, run), ["stored 0", "stored 1", "stored 2"]);
    await eventually(() => (announcements.length === 3 ? true : undefined), "three announcements");
    t.deepEqual(announcements, ["announced 0", "announced 1", "announced 2"]);
    t.deepEqual(await streamed(nc, `${run}-undone`), []);
    t.is(await left(), 0);
  },
);

test.serial("outbox - with NATS stopped between commit and publish, every message is sent once NATS is back, each once", async (t) => {
  const nats = await ownNats(t);
  const relay = relayOn(t, nats.nc);
  const run = tag();
  await nats.stop();
  await sql.begin((tx) => writeOutbox(tx, "delivery", messages(run, 5)));
  await relay.relayed();
  t.is(await left(), 10, "the messages wait in the outbox");
  await nats.start();
  // Subscribed once the client is back, before the relay can publish: announcements are heard only by those listening.
  await eventually(
    async () =>
      await nats.nc
        .flush()
        .then(() => true)
        .catch(() => undefined),
    "the client to reconnect",
  );
  const announcements = heard(nats.nc, run);
  await nats.nc.flush();
  await eventually(async () => ((await left()) === 0 ? true : undefined), "the outbox to empty");
  t.deepEqual(await streamed(nats.nc, run), ["stored 0", "stored 1", "stored 2", "stored 3", "stored 4"]);
  await eventually(() => (announcements.length >= 5 ? true : undefined), "five announcements");
  t.is(new Set(announcements).size, 5);
});

test.serial("outbox - a message published before a relay died, and so sent again, is kept once by its stream", async (t) => {
  const { nc } = await ownNats(t);
  const run = tag();
  const [stored] = messages(run, 1);
  await sql.begin((tx) => writeOutbox(tx, "delivery", [stored!]));
  // What the relay that died had published before it could delete the row.
  await nc.jetstream().publish(stored!.subject, stored!.data, { msgID: stored!.messageId! });
  await relayOn(t, nc).relayed();
  t.deepEqual(await streamed(nc, run), ["stored 0"]);
  t.is(await left(), 0);
});

test.serial("outbox - two replicas' relays share one outbox: each message is taken by one of them", async (t) => {
  const { nc } = await ownNats(t);
  const other = await connect({ servers: nc.getServer() });
  t.teardown(() => other.close());
  const run = tag();
  const announcements = heard(nc, run);
  await nc.flush();
  await sql.begin((tx) => writeOutbox(tx, "delivery", messages(run, 600)));
  const relays = [relayOn(t, nc), relayOn(t, other)];
  await Promise.all(relays.map((relay) => relay.relayed()));
  await eventually(async () => ((await left()) === 0 ? true : undefined), "the outbox to empty");
  await eventually(() => (announcements.length >= 600 ? true : undefined), "600 announcements");
  await nc.flush();
  t.is(announcements.length, 600, "no announcement was sent twice");
  t.is(new Set(announcements).size, 600);
  t.is((await streamed(nc, run)).length, 600);
});
