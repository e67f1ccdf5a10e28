// Event streams through the gateway against a running stack: Server-Sent Events read by the eventsource client and by hand, gRPC, Connect and gRPC-Web, their bounds and refusals.
import http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import test from "ava";
import { EventSource } from "eventsource";
import { ErrorInfoSchema, ErrorReason } from "../../../gen/triggers/v1/event_pb.js";
import { InboxService, type WatchEventsResponse, WatchEventsResponseSchema } from "../../../gen/triggers/v1/inbox_pb.js";
import { apiClient } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { type Stack, startStack } from "../../helpers/stack.js";
import { openSse, publish, type SseEvent } from "./sse-client.js";

const streamsPerKey = 3;
let stack: Stack;

test.before(async () => {
  stack = await startStack({
    env: {
      EVENT_STREAMS_PER_KEY: String(streamsPerKey),
      EVENT_STREAM_HEARTBEAT_MS: "200",
      EVENT_STREAM_SLOW_READER_MS: "1000",
    },
  });
});

test.after.always(async () => {
  await stack?.stop();
});

/** An EventSource with the key, collecting the data of its events by type. */
function eventSource(key: string, query = "") {
  const received: { id: string; data: any }[] = [];
  const ready: string[] = [];
  const source = new EventSource(`${stack.gatewayUrl}/v1/events/stream${query}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${key}` } }),
  });
  source.onmessage = (message) => received.push({ id: message.lastEventId, data: JSON.parse(message.data) });
  source.addEventListener("ready", (message) => ready.push(message.data));
  return { source, received, ready };
}

test("event streams - an EventSource gets each event of its types published after it opened, its id the stream's cursor", async (t) => {
  const { key } = await stack.createOrg();
  const { source, received, ready } = eventSource(key, "?type=order.*");
  t.teardown(() => source.close());
  await eventually(() => ready.length > 0 || undefined, "the stream to open");
  const ids = [
    await publish(stack, key, "order.created"),
    await publish(stack, key, "user.created"),
    await publish(stack, key, "order.paid"),
  ];
  await eventually(() => received.length >= 2 || undefined, "two events");
  t.deepEqual(
    received.map((event) => [event.data.id, event.data.type]),
    [
      [ids[0], "order.created"],
      [ids[2], "order.paid"],
    ],
  );
  // Each id is a cursor: the inbox, listed oldest first from the first one, goes on with the events after it.
  const inbox = await apiClient(stack.gatewayUrl, key).get(`/v1/inbox?type=order.*&cursor=${received[0]!.id}`);
  t.deepEqual(
    inbox.body.events.map((event: { id: string }) => event.id),
    [ids[2]],
  );
});

test("event streams - a stream resumed with Last-Event-ID sends the events after it and none twice", async (t) => {
  const { key } = await stack.createOrg();
  const first = await openSse(stack.gatewayUrl, key);
  const ids = [await publish(stack, key, "a.one"), await publish(stack, key, "a.two")];
  const [one] = await first.events(1);
  first.close();
  const third = await publish(stack, key, "a.three");
  const resumed = await openSse(stack.gatewayUrl, key, { "last-event-id": one!.id! });
  t.teardown(() => resumed.close());
  const after = await resumed.events(2);
  t.deepEqual(
    [one!, ...after].map((event) => JSON.parse(event.data).id),
    [...ids, third],
  );
});

test("event streams - a stream starts with a retry hint and where it starts, and an idle one sends heartbeats", async (t) => {
  const { key } = await stack.createOrg();
  const stream = await openSse(stack.gatewayUrl, key);
  t.teardown(() => stream.close());
  t.is(stream.retryMs, 1_000);
  t.regex(stream.readyCursor, /^[A-Za-z0-9_-]+$/);
  await eventually(() => stream.comments.includes("heartbeat") || undefined, "a heartbeat");
  t.pass();
});

test("event streams - a key holds a bounded number of streams over every gateway replica; one more is 429 until one closes", async (t) => {
  const { key } = await stack.createOrg();
  const replica = await stack.startGateway();
  const held: SseClosable[] = [];
  t.teardown(() => {
    for (const stream of held) stream.close();
  });
  for (const url of [stack.gatewayUrl, replica.url, stack.gatewayUrl].slice(0, streamsPerKey)) held.push(await openSse(url, key));
  for (const url of [stack.gatewayUrl, replica.url]) {
    const refused = await fetch(`${url}/v1/events/stream`, { headers: { authorization: `Bearer ${key}` } });
    t.is(refused.status, 429);
    t.like(await refused.json(), { code: "resource_exhausted", details: [{ reason: "ERROR_REASON_TOO_MANY_STREAMS" }] });
  }
  held.pop()!.close();
  held.push(await eventually(() => openSse(replica.url, key).catch(() => undefined), "a stream to open again"));
  t.pass();
});

type SseClosable = { close(): void };

test("event streams - bad filters, no key, a key without events:read and a foreign cursor are refused, and hold no stream", async (t) => {
  const { key } = await stack.createOrg();
  const stream = (query: string, headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
    fetch(`${stack.gatewayUrl}/v1/events/stream${query}`, { headers });
  const refusals = [
    [await stream("?status=archived"), 400, "status"],
    [await stream("?type=no%20spaces"), 400, "type"],
    [await stream("?cursor=bm90IG91cnM"), 400, "cursor"],
    [await stream("?since=yesterday"), 400, "since"],
    [await stream("?colour=red"), 400, "colour"],
    [await stream("", {}), 401, undefined],
  ] as const;
  for (const [res, status, field] of refusals) {
    t.is(res.status, status);
    const body = await res.json();
    if (field) t.is(body.details?.[0]?.field, field, JSON.stringify(body));
  }
  const created = await apiClient(stack.gatewayUrl, key).post("/v1/keys", { name: "writer", scopes: ["events:write"] });
  const writerOnly = await stream("", { authorization: `Bearer ${created.body.api_key.secret}` });
  t.is(writerOnly.status, 403);
  await writerOnly.body?.cancel();
  // None of them held a slot: the key opens as many streams as it may.
  const opened = await Promise.all(Array.from({ length: streamsPerKey }, () => openSse(stack.gatewayUrl, key)));
  for (const open of opened) open.close();
  t.pass();
});

test("event streams - another org's events never reach a stream", async (t) => {
  const [mine, theirs] = [await stack.createOrg(), await stack.createOrg()];
  const stream = await openSse(stack.gatewayUrl, mine.key);
  t.teardown(() => stream.close());
  await publish(stack, theirs.key, "secret.thing");
  const own = await publish(stack, mine.key, "own.thing");
  const [event] = await stream.events(1);
  t.is(JSON.parse(event!.data).id, own);
});

test("event streams - a reader that stops reading is ended with its cursor, and resumed from it gets the rest, none twice", async (t) => {
  const { key } = await stack.createOrg();
  const stream = await openSse(stack.gatewayUrl, key, {}, { paused: true });
  // Large events fill the socket's buffers while the reader sleeps; the gateway then waits its limit and gives up.
  const data = { blob: "x".repeat(200_000) };
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) ids.push(await publish(stack, key, "big.event", data));
  const gaveUp = (line: string) => line.includes(stream.requestId) && line.includes("slow_reader");
  await eventually(() => stack.logs("gateway").some(gaveUp) || undefined, "the gateway to end the stream");
  const read = await stream.readAll();
  const ending = read.find((event) => event.event === "reconnect");
  t.like(JSON.parse(ending!.data), { reason: "slow_reader" });
  const got = read.filter((event) => event.event === undefined).map((event) => JSON.parse(event.data).id);
  t.true(got.length < ids.length, `the stream ended before it sent all (${got.length})`);
  const resumed = await openSse(stack.gatewayUrl, key, { "last-event-id": JSON.parse(ending!.data).cursor });
  t.teardown(() => resumed.close());
  const rest = await resumed.events(ids.length - got.length);
  t.deepEqual([...got, ...rest.map((event: SseEvent) => JSON.parse(event.data).id)], ids);
});

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

function grpcJsInbox() {
  const definition = protoLoader.loadSync(["triggers/v1/inbox.proto"], {
    includeDirs: [root("proto"), root("node_modules/google-proto-files")],
    keepCase: true,
    enums: String,
    defaults: true,
  });
  const triggers = (grpc.loadPackageDefinition(definition).triggers as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Inbox = triggers.InboxService as grpc.ServiceClientConstructor;
  return new Inbox(new URL(stack.gatewayUrl).host, grpc.credentials.createInsecure()) as any;
}

function withKeyMetadata(key: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${key}`);
  return metadata;
}

test("event streams - a @grpc/grpc-js client watches events: an opening message, then each event with its cursor", async (t) => {
  const { key } = await stack.createOrg();
  const client = grpcJsInbox();
  const call = client.WatchEvents({ type: "order.*" }, withKeyMetadata(key)) as grpc.ClientReadableStream<any>;
  t.teardown(() => {
    call.cancel();
    client.close();
  });
  const messages: any[] = [];
  call.on("data", (message) => messages.push(message));
  call.on("error", () => {});
  await eventually(() => messages.length > 0 || undefined, "the opening message");
  t.is(messages[0].event, null);
  const id = await publish(stack, key, "order.created");
  await eventually(() => messages.length > 1 || undefined, "the event");
  t.is(messages[1].event.id, id);
  t.regex(messages[1].cursor, /^[A-Za-z0-9_-]+$/);
});

for (const [name, transport] of [
  ["Connect", createConnectTransport],
  ["gRPC-Web", createGrpcWebTransport],
  ["gRPC", createGrpcTransport],
] as const) {
  test(`event streams - a ${name} client watches events, and past the key's bound is refused as too many streams`, async (t) => {
    const { key } = await stack.createOrg();
    const client = createClient(InboxService, transport({ baseUrl: stack.gatewayUrl, httpVersion: name === "gRPC" ? "2" : "1.1" }));
    const headers = { authorization: `Bearer ${key}` };
    const controller = new AbortController();
    t.teardown(() => controller.abort());
    const streams = Array.from({ length: streamsPerKey }, () =>
      client.watchEvents({}, { headers, signal: controller.signal })[Symbol.asyncIterator](),
    );
    for (const stream of streams) t.is((await stream.next()).value.event, undefined);
    const id = await publish(stack, key, "thing.happened");
    t.is((await streams[0]!.next()).value.event.id, id);
    const refused = ConnectError.from(await t.throwsAsync(client.watchEvents({}, { headers })[Symbol.asyncIterator]().next()));
    t.is(refused.code, Code.ResourceExhausted);
    t.is(refused.findDetails(ErrorInfoSchema)[0]?.reason, ErrorReason.TOO_MANY_STREAMS);
  });
}

test("event streams - a gRPC reader that stops reading is ended as unavailable, the stream ended, and resumes from its last cursor", async (t) => {
  const { key } = await stack.createOrg();
  // By hand over HTTP/2: Connect's and grpc-js's clients read ahead into memory, so only a paused stream stops reading.
  const session = http2.connect(stack.gatewayUrl);
  t.teardown(() => session.destroy());
  const call = session.request({
    ":method": "POST",
    ":path": `/${InboxService.typeName}/${InboxService.method.watchEvents.name}`,
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${key}`,
  });
  call.end(Buffer.from([0, 0, 0, 0, 0]));
  const chunks: Buffer[] = [];
  let status: string | undefined;
  call.on("trailers", (trailers) => {
    status = String(trailers["grpc-status"]);
  });
  const ended = new Promise((resolve) => call.on("close", resolve));
  await new Promise<void>((resolve) =>
    call.once("data", (chunk: Buffer) => {
      chunks.push(chunk);
      call.pause();
      resolve();
    }),
  );
  const data = { blob: "x".repeat(200_000) };
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) ids.push(await publish(stack, key, "big.event", data));
  // Longer than the gateway's limit (1 s here) without reading: its next write waits that long.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  call.on("data", (chunk: Buffer) => chunks.push(chunk));
  call.resume();
  await ended;
  t.is(status, String(Code.Unavailable));
  const got = grpcMessages(Buffer.concat(chunks)).filter((message) => message.event);
  t.true(got.length < ids.length, `the stream ended before it sent all (${got.length})`);
  const resumed = createClient(InboxService, createGrpcTransport({ baseUrl: stack.gatewayUrl }));
  const rest: string[] = [];
  for await (const message of resumed.watchEvents({ cursor: got.at(-1)!.cursor }, { headers: { authorization: `Bearer ${key}` } })) {
    if (message.event) rest.push(message.event.id);
    if (got.length + rest.length === ids.length) break;
  }
  t.deepEqual([...got.map((m) => m.event!.id), ...rest], ids);
});

/** The messages of a gRPC answer's body: each a flag byte, a 4-byte length, then the message. */
function grpcMessages(body: Buffer): WatchEventsResponse[] {
  const messages: WatchEventsResponse[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    messages.push(fromBinary(WatchEventsResponseSchema, body.subarray(at + 5, at + 5 + length)));
    at += 5 + length;
  }
  return messages;
}
