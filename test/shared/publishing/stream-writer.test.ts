// The pipelined JetStream writer against a real nats-server: acks, duplicates, a missing stream and silence.
import test from "ava";
import { connect, headers, type NatsConnection } from "nats";
import { StreamWriteError, StreamWriter } from "../../../services/shared/publishing/stream-writer.js";
import { type NatsServer, startNatsServer } from "../../../tools/stack/nats.js";

let server: NatsServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await (await nc.jetstreamManager()).streams.add({ name: "WRITER", subjects: ["writer.>"] });
});

test.after.always(async () => {
  await nc?.close();
  await server?.stop();
});

const withMsgId = (id: string) => {
  const h = headers();
  h.set("Nats-Msg-Id", id);
  return h;
};

test("stream writer - many writes in flight are each acknowledged with their own sequence", async (t) => {
  const writer = new StreamWriter(nc, 5_000);
  t.teardown(() => writer.close());
  const acks = await Promise.all(
    Array.from({ length: 500 }, (_, i) => writer.write("writer.many", Buffer.from(`m${i}`), withMsgId(`many-${i}`))),
  );
  t.true(acks.every((ack) => ack.stream === "WRITER" && !ack.duplicate));
  t.is(new Set(acks.map((ack) => ack.seq)).size, 500);
});

test("stream writer - a message id written again is reported as a duplicate of the stored one", async (t) => {
  const writer = new StreamWriter(nc, 5_000);
  t.teardown(() => writer.close());
  const first = await writer.write("writer.dup", Buffer.from("a"), withMsgId("dup-1"));
  const again = await writer.write("writer.dup", Buffer.from("a"), withMsgId("dup-1"));
  t.false(first.duplicate);
  t.true(again.duplicate);
  t.is(again.seq, first.seq);
});

test("stream writer - a subject no stream stores fails with 503, a retryable error", async (t) => {
  const writer = new StreamWriter(nc, 5_000);
  t.teardown(() => writer.close());
  const err = await t.throwsAsync(writer.write("nostream.x", Buffer.from("a"), withMsgId("x")), { instanceOf: StreamWriteError });
  t.is(err?.code, "503");
});

test("stream writer - a write nobody acknowledges fails with TIMEOUT", async (t) => {
  const silent = nc.subscribe("silent.x");
  t.teardown(() => silent.unsubscribe());
  const writer = new StreamWriter(nc, 300);
  t.teardown(() => writer.close());
  const err = await t.throwsAsync(writer.write("silent.x", Buffer.from("a"), withMsgId("s")), { instanceOf: StreamWriteError });
  t.is(err?.code, "TIMEOUT");
});
