// Streams to a backend spread over connections of their own: past what one connection carries, another is opened, and ended streams make room again.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Message } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import test from "ava";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { StreamConnections, streamsPerConnection } from "../../services/gateway/stream-connections.js";

test("stream connections - one stream more than a connection carries opens a second connection, and a stream ended makes room on the first", async (t) => {
  t.timeout(60_000);
  // A server with our servers' limit on streams per connection (server.ts): a stream that found no room would wait.
  const server = http2.createServer(
    { settings: { maxConcurrentStreams: 1_000 } },
    connectNodeAdapter({
      routes: (router) =>
        router.rpc(InboxService.method.watchEvents, async function* (_req, ctx) {
          yield { cursor: "open" };
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        }),
    }),
  );
  const opened = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => opened.add(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    // The client keeps its connections for later streams: the server ends them, or it would wait for them.
    for (const session of opened) session.destroy();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const connections = new StreamConnections(InboxService, `http://127.0.0.1:${port}`);
  const open = async () => {
    const controller = new AbortController();
    const stream = connections.call(InboxService.method.watchEvents, {} as Message, { signal: controller.signal });
    t.like((await stream.next()).value, { cursor: "open" });
    return { end: () => controller.abort(), stream };
  };
  const streams = [];
  for (let i = 0; i < streamsPerConnection; i++) streams.push(await open());
  t.is(opened.size, 1, "one connection carries the first streams");
  streams.push(await open());
  t.is(opened.size, 2, "the next stream has a connection of its own");
  const first = streams.shift()!;
  first.end();
  await first.stream.next().catch(() => undefined);
  const before = opened.size;
  streams.push(await open());
  t.is(opened.size, before, "an ended stream's room is taken again before a connection is added");
  for (const stream of streams) stream.end();
  await Promise.all(streams.map((stream) => stream.stream.next().catch(() => undefined)));
});
