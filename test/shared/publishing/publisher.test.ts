// The event publisher against a real nats-server: an org's events go out in as few messages as the size limit allows,
// and an idempotency key is stored once.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import test, { type ExecutionContext } from "ava";
import { connect, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { EventInputSchema, EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import { KeyReused } from "../../../services/shared/domain-errors.js";
import { encodePublishedEvents, type PublishedEvent } from "../../../services/shared/published-events.js";
import { acceptEvent } from "../../../services/shared/publishing/event-rules.js";
import { createEventPublisher, type StoredEvent } from "../../../services/shared/publishing/publisher.js";
import { StreamWriteError, StreamWriter } from "../../../services/shared/publishing/stream-writer.js";
import { ensureEventsStream, eventsStream } from "../../../services/shared/streams.js";
import { type NatsServer, startNatsServer } from "../../../tools/stack/nats.js";
import { storedMessages } from "../../helpers/event-stream.js";
import { startNatsCluster } from "../../helpers/nats-cluster.js";

let server: NatsServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  // A stream that refuses messages over 64 KiB, for the test of a write that fails.
  await (await nc.jetstreamManager()).streams.add({ ...eventsStream, max_msg_size: 64 * 1024 });
});

/** A publisher on the connection, reading back originals as ingest does. */
function publisherOn(connection: NatsConnection, maxMessageBytes = 1024 * 1024) {
  const writer = new StreamWriter(connection, 5_000);
  const read = async (seq: number) => (await (await connection.jetstreamManager()).streams.getMessage(eventsStream.name, { seq })).data;
  return { publisher: createEventPublisher(writer, maxMessageBytes, read), close: () => writer.close() };
}

/** An event as ingest accepts it from a client that sent it with an idempotency key. */
function keyed(idempotencyKey: string, data: Record<string, unknown> = {}): PublishedEvent {
  const input = create(EventInputSchema, { type: "order.created", idempotencyKey, dataJson: Buffer.from(JSON.stringify(data)) });
  return { ...acceptEvent(input), requestId: "" };
}

function stored(outcome: PromiseSettledResult<StoredEvent> | undefined): StoredEvent {
  if (outcome?.status !== "fulfilled") throw new Error(`not stored: ${outcome?.status === "rejected" ? outcome.reason : "no outcome"}`);
  return outcome.value;
}

test.after.always(async () => {
  await nc?.close();
  await server?.stop();
});

function events(count: number, dataBytes: number): PublishedEvent[] {
  const now = timestampNow();
  return Array.from({ length: count }, (_, i) => ({
    event: create(EventSchema, { id: uuidv7(), type: "t", source: "s", occurredAt: now, receivedAt: now }),
    data: JSON.stringify({ i, pad: "x".repeat(dataBytes) }),
    requestId: `r${i}`,
  }));
}

test("publisher - an org's events are written in one message when they fit, in order, with their request ids", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const orgId = uuidv7();
  const batch = events(20, 100);
  const outcomes = await publisher.publish(orgId, batch);
  t.true(outcomes.every((outcome) => outcome.status === "fulfilled"));
  const found = await storedMessages(nc, orgId);
  t.is(found.length, 1);
  t.deepEqual(
    found[0]!.events.map((e) => [e.event.id, e.data, e.requestId]),
    batch.map((e) => [e.event.id, e.data, e.requestId]),
  );
});

test("publisher - events beyond one message's size limit go in further messages, none over the limit", async (t) => {
  // Room for two such events per message.
  const { publisher, close } = publisherOn(nc, 4096 + 2 * 2_500);
  t.teardown(close);
  const orgId = uuidv7();
  const batch = events(9, 2_000);
  const outcomes = await publisher.publish(orgId, batch);
  t.is(outcomes.length, 9);
  t.true(outcomes.every((outcome) => outcome.status === "fulfilled"));
  const found = await storedMessages(nc, orgId);
  t.deepEqual(
    found.map((message) => message.events.length),
    [2, 2, 2, 2, 1],
  );
  t.deepEqual(
    found.flatMap((message) => message.events.map((e) => e.event.id)),
    batch.map((e) => e.event.id),
  );
});

test("publisher - when a message cannot be written, each of its events says why", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const outcomes = await publisher.publish(uuidv7(), events(3, 30_000));
  t.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ["rejected", "rejected", "rejected"],
  );
  t.true(outcomes.every((outcome) => outcome.status === "rejected" && outcome.reason instanceof StreamWriteError));
});

test("publisher - a repeated idempotency key stores nothing new and answers the event stored first", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const orgId = uuidv7();
  const first = stored((await publisher.publish(orgId, [keyed("order-7", { n: 1 })]))[0]);
  const again = stored((await publisher.publish(orgId, [keyed("order-7", { n: 1 })]))[0]);
  t.false(first.duplicate);
  t.true(again.duplicate);
  t.is(again.event.id, first.event.id);
  t.deepEqual(again.event.receivedAt, first.event.receivedAt);
  t.is((await storedMessages(nc, orgId)).length, 1);
});

test("publisher - concurrent publishes of one key store one event, and every answer names it", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const orgId = uuidv7();
  const answers = await Promise.all(Array.from({ length: 20 }, () => publisher.publish(orgId, [keyed("same", { n: 1 })])));
  const ids = new Set(answers.map(([outcome]) => stored(outcome).event.id));
  t.is(ids.size, 1);
  t.is(answers.filter(([outcome]) => !stored(outcome).duplicate).length, 1);
  t.is((await storedMessages(nc, orgId)).flatMap((message) => message.events).length, 1);
});

test("publisher - within one batch, keyed events go alone and a repeated key answers the first of them", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const orgId = uuidv7();
  const [plainA, keyA, plainB, keyAgain] = await publisher.publish(orgId, [...events(1, 10), keyed("k"), ...events(1, 10), keyed("k")]);
  t.false(stored(plainA).duplicate);
  t.false(stored(plainB).duplicate);
  t.is(stored(keyAgain).event.id, stored(keyA).event.id);
  t.true(stored(keyAgain).duplicate);
  t.deepEqual((await storedMessages(nc, orgId)).map((message) => message.events.length).sort(), [1, 2]);
});

/**
 * A publisher on a server of its own where a subscriber stands in for a clustered events stream: it acks each write
 * as a duplicate, of sequence 0 for the first `unknownFor` asks (the original still being copied), then of 7.
 */
async function publisherOnClusterStandIn(t: ExecutionContext, unknownFor: number, original: Uint8Array) {
  const own = await startNatsServer();
  const connection = await connect({ servers: own.url });
  const writer = new StreamWriter(connection, 5_000);
  t.teardown(async () => {
    writer.close();
    await connection.close();
    await own.stop();
  });
  const asked = { writes: 0, reads: [] as number[] };
  connection.subscribe("events.>", {
    callback: (_err, msg) => {
      asked.writes++;
      msg.respond(JSON.stringify({ stream: eventsStream.name, seq: asked.writes > unknownFor ? 7 : 0, duplicate: true }));
    },
  });
  const read = async (seq: number) => {
    asked.reads.push(seq);
    return original;
  };
  return { publisher: createEventPublisher(writer, 1024 * 1024, read), asked };
}

test("publisher - a repeat acked before its original's place is known asks again until it is, and answers the original", async (t) => {
  const orgId = uuidv7();
  const original = keyed("replicating", { n: 1 });
  const { publisher, asked } = await publisherOnClusterStandIn(t, 2, encodePublishedEvents({ orgId, events: [original] }));
  const [repeat] = await publisher.publish(orgId, [keyed("replicating", { n: 1 })]);
  t.is(stored(repeat).event.id, original.event.id);
  t.true(stored(repeat).duplicate);
  t.is(asked.writes, 3);
  t.deepEqual(asked.reads, [7]);
});

test("publisher - a repeat whose original's place stays unknown is refused as a write to retry, never read at sequence 0", async (t) => {
  const orgId = uuidv7();
  const original = keyed("lost-leader");
  const { publisher, asked } = await publisherOnClusterStandIn(
    t,
    Number.POSITIVE_INFINITY,
    encodePublishedEvents({ orgId, events: [original] }),
  );
  const [repeat] = await publisher.publish(orgId, [keyed("lost-leader")]);
  t.is(repeat?.status, "rejected");
  t.true(repeat?.status === "rejected" && repeat.reason instanceof StreamWriteError && repeat.reason.code === "TIMEOUT");
  t.deepEqual(asked.reads, []);
  t.true(asked.writes > 1);
});

test("publisher - on a three-node cluster, concurrent repeats of keys through every node store each key once and all name it", async (t) => {
  const cluster = await startNatsCluster();
  const connections = await Promise.all(cluster.urls.map((url) => connect({ servers: url })));
  const replicas = connections.map((connection) => publisherOn(connection));
  t.teardown(async () => {
    for (const replica of replicas) replica.close();
    await Promise.all(connections.map((connection) => connection.close()));
    await cluster.stop();
  });
  await ensureEventsStream(await connections[0]!.jetstreamManager(), 3);
  const orgId = uuidv7();
  const keys = Array.from({ length: 40 }, (_, i) => `repeated-${i}`);
  const answers = await Promise.all(
    keys.map((key) => Promise.all(Array.from({ length: 9 }, (_, i) => replicas[i % 3]!.publisher.publish(orgId, [keyed(key, { key })])))),
  );
  for (const [i, repeats] of answers.entries()) {
    const outcomes = repeats.map(([outcome]) => stored(outcome));
    t.is(new Set(outcomes.map(({ event }) => event.id)).size, 1, `${keys[i]}: every answer names one event`);
    t.is(outcomes.filter(({ duplicate }) => !duplicate).length, 1, `${keys[i]}: one answer stored it`);
  }
  t.is((await storedMessages(connections[0]!, orgId)).length, keys.length);
});

test("publisher - a key reused for a different event is refused as reused, and stores nothing", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const orgId = uuidv7();
  stored((await publisher.publish(orgId, [keyed("k", { n: 1 })]))[0]);
  const [reused] = await publisher.publish(orgId, [keyed("k", { n: 2 })]);
  t.is(reused?.status, "rejected");
  t.true(reused?.status === "rejected" && reused.reason instanceof KeyReused);
  t.is((await storedMessages(nc, orgId)).length, 1);
});

test("publisher - keys belong to an org: another org's same key is its own event", async (t) => {
  const { publisher, close } = publisherOn(nc);
  t.teardown(close);
  const [mine] = await publisher.publish(uuidv7(), [keyed("shared-key")]);
  const [theirs] = await publisher.publish(uuidv7(), [keyed("shared-key")]);
  t.false(stored(theirs).duplicate);
  t.not(stored(theirs).event.id, stored(mine).event.id);
});

test("publisher - a key holds across a restart of the NATS server", async (t) => {
  const storeDir = await mkdtemp(path.join(os.tmpdir(), "triggers-nats-restart-"));
  t.teardown(() => rm(storeDir, { recursive: true, force: true }));
  const withServer = async <T>(use: (connection: NatsConnection) => Promise<T>): Promise<T> => {
    const own = await startNatsServer({ storeDir });
    const connection = await connect({ servers: own.url });
    try {
      await ensureEventsStream(await connection.jetstreamManager(), 1);
      return await use(connection);
    } finally {
      await connection.close();
      await own.stop();
    }
  };
  const orgId = uuidv7();
  const publishOnce = (connection: NatsConnection) => {
    const { publisher, close } = publisherOn(connection);
    return publisher.publish(orgId, [keyed("across-restarts")]).finally(close);
  };
  const [first] = await withServer(publishOnce);
  const [again] = await withServer(publishOnce);
  t.true(stored(again).duplicate);
  t.is(stored(again).event.id, stored(first).event.id);
});

test("publisher - two ingest replicas, each on its own connection, publishing one key at once store one event", async (t) => {
  const other = await connect({ servers: server.url });
  const replicas = [publisherOn(nc), publisherOn(other)];
  t.teardown(async () => {
    for (const replica of replicas) replica.close();
    await other.close();
  });
  const orgId = uuidv7();
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.publisher.publish(orgId, [keyed("raced", { n: 1 })])),
  );
  t.is(new Set(answers.map(([outcome]) => stored(outcome).event.id)).size, 1);
  t.is((await storedMessages(nc, orgId)).length, 1);
});
