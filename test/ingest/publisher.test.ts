// The event publisher against a real nats-server: an org's events go out in as few messages as the size limit allows.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { connect, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { createEventPublisher } from "../../services/ingest/publisher.js";
import { StreamWriteError, StreamWriter } from "../../services/ingest/stream-writer.js";
import { decodePublishedEvents, type PublishedEvent } from "../../services/shared/published-events.js";
import { eventSubject, eventsStream } from "../../services/shared/streams.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";

let server: NatsServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  // A stream that refuses messages over 64 KiB, for the test of a write that fails.
  await (await nc.jetstreamManager()).streams.add({ name: eventsStream.name, subjects: eventsStream.subjects, max_msg_size: 64 * 1024 });
});

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

async function storedMessages(orgId: string) {
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(eventsStream.name);
  const found = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(eventsStream.name, { seq });
    if (stored.subject === eventSubject(orgId)) found.push(decodePublishedEvents(stored.data)!);
  }
  return found;
}

test("publisher - an org's events are written in one message when they fit, in order, with their request ids", async (t) => {
  const writer = new StreamWriter(nc, 5_000);
  t.teardown(() => writer.close());
  const orgId = uuidv7();
  const batch = events(20, 100);
  const outcomes = await createEventPublisher(writer, 1024 * 1024).publish(orgId, batch);
  t.true(outcomes.every((outcome) => outcome.status === "fulfilled"));
  const found = await storedMessages(orgId);
  t.is(found.length, 1);
  t.deepEqual(
    found[0]!.events.map((e) => [e.event.id, e.data, e.requestId]),
    batch.map((e) => [e.event.id, e.data, e.requestId]),
  );
});

test("publisher - events beyond one message's size limit go in further messages, none over the limit", async (t) => {
  const writer = new StreamWriter(nc, 5_000);
  t.teardown(() => writer.close());
  const orgId = uuidv7();
  const batch = events(9, 2_000);
  // Room for two such events per message.
  const outcomes = await createEventPublisher(writer, 4096 + 2 * 2_500).publish(orgId, batch);
  t.is(outcomes.length, 9);
  t.true(outcomes.every((outcome) => outcome.status === "fulfilled"));
  const found = await storedMessages(orgId);
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
  const writer = new StreamWriter(nc, 5_000);
  t.teardown(() => writer.close());
  const outcomes = await createEventPublisher(writer, 1024 * 1024).publish(uuidv7(), events(3, 30_000));
  t.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ["rejected", "rejected", "rejected"],
  );
  t.true(outcomes.every((outcome) => outcome.status === "rejected" && outcome.reason instanceof StreamWriteError));
});
