// The event publisher against a real nats-server: an org's events go out in as few messages as the size limit allows,
// and an idempotency key is stored once.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { connect, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { EventInputSchema, EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import { KeyReused } from "../../../services/shared/domain-errors.js";
import type { PublishedEvent } from "../../../services/shared/published-events.js";
import { acceptEvent } from "../../../services/shared/publishing/event-rules.js";
import { createEventPublisher, type StoredEvent } from "../../../services/shared/publishing/publisher.js";
import { StreamWriteError, StreamWriter } from "../../../services/shared/publishing/stream-writer.js";
import { ensureEventsStream, eventsStream } from "../../../services/shared/streams.js";
import { type NatsServer, startNatsServer } from "../../../tools/stack/nats.js";
import { storedMessages } from "../../helpers/event-stream.js";

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
