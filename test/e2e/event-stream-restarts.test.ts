// Event streams across restarts: a draining gateway or inbox ends its streams with a reconnect hint, and a client that follows it misses nothing and sees nothing twice.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { EventSource } from "eventsource";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { publish } from "../gateway/watch/sse-client.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

test.serial("event stream restarts - an EventSource reading across a gateway restart sees every event exactly once", async (t) => {
  const { key } = await stack.createOrg();
  // Events go in through another replica while the one the stream reads from restarts.
  const publisher = await stack.startGateway();
  const received: string[] = [];
  const reconnects: string[] = [];
  let opened = 0;
  const source = new EventSource(`${stack.gatewayUrl}/v1/events/stream`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${key}` } }),
  });
  t.teardown(() => source.close());
  source.onmessage = (message) => received.push(JSON.parse(message.data).id);
  source.addEventListener("reconnect", (message) => reconnects.push(JSON.parse(message.data).reason));
  source.addEventListener("ready", () => opened++);
  await eventually(() => opened > 0 || undefined, "the stream to open");

  const published: string[] = [];
  const total = 200;
  const publishing = (async () => {
    for (let i = 0; i < total; i++) published.push(await publish({ ...stack, gatewayUrl: publisher.url }, key, "order.created", { i }));
  })();
  await eventually(() => received.length >= 50 || undefined, "the first events");
  await stack.kill("gateway", "SIGTERM");
  await stack.start("gateway");
  await publishing;
  await eventually(() => (received.length >= total ? true : undefined), `all ${total} events`);
  t.deepEqual(reconnects, ["restarting"]);
  t.true(opened >= 2, "the stream was opened again");
  t.is(new Set(received).size, received.length, "no event twice");
  t.deepEqual([...received].sort(), [...published].sort());
});

test.serial("event stream restarts - a draining gateway ends gRPC streams as unavailable, the stream ended", async (t) => {
  const { key } = await stack.createOrg();
  const client = createClient(InboxService, createGrpcTransport({ baseUrl: stack.gatewayUrl }));
  const stream = client.watchEvents({}, { headers: { authorization: `Bearer ${key}` } })[Symbol.asyncIterator]();
  t.is((await stream.next()).value.event, undefined);
  const [, ended] = await Promise.all([
    stack.kill("gateway", "SIGTERM"),
    stream.next().then(
      () => undefined,
      (err: unknown) => err,
    ),
  ]);
  const err = ConnectError.from(ended);
  t.is(err.code, Code.Unavailable);
  t.is(err.findDetails(ErrorInfoSchema)[0]?.reason, ErrorReason.STREAM_ENDED);
  await stack.start("gateway");
});

test.serial(
  "event stream restarts - a stream through the gateway outlives an inbox restart, and gets the events stored after it",
  async (t) => {
    const { key } = await stack.createOrg();
    const client = createClient(InboxService, createGrpcTransport({ baseUrl: stack.gatewayUrl }));
    const stream = client.watchEvents({}, { headers: { authorization: `Bearer ${key}` } })[Symbol.asyncIterator]();
    t.is((await stream.next()).value.event, undefined);
    const before = await publish(stack, key, "before.restart");
    t.is((await stream.next()).value.event.id, before);
    await stack.kill("inbox", "SIGTERM");
    // Stored while the inbox is down: the stream waits for it, and reads it once the inbox is back.
    const during = await publish(stack, key, "during.restart");
    await stack.start("inbox");
    const after = await publish(stack, key, "after.restart");
    t.is((await stream.next()).value.event.id, during);
    t.is((await stream.next()).value.event.id, after);
  },
);
