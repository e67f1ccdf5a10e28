// A body still arriving when its answer is sent: the client reads the answer, over HTTP/1.1 and HTTP/2, and the connection is bounded.
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import test from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { startServer } from "../../services/shared/server.js";
import { lingerLimits } from "../../services/shared/unread-bodies.js";

const answer = JSON.stringify({ code: "resource_exhausted", message: "too large" });

// Answers 413 to every request that is not an RPC, before reading a byte of its body.
async function serveEarlyAnswers(t: { teardown(fn: () => Promise<void>): void }) {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    adminPort: 0,
    maxConnectionAgeMs: 300_000,
    logger: createLogger("test", "silent"),
    metrics: createMetrics("test"),
    services: [AuthService],
    routes: () => {},
    fallback: (_req, res) => {
      res.writeHead(413, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
      res.end(answer);
    },
  });
  t.teardown(() => server.close(0));
  return `http://127.0.0.1:${server.port}`;
}

const body = Buffer.alloc(4 * 1024 * 1024, "x");

test("unread bodies - fetch reads an answer sent while its body is still being uploaded", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${baseUrl}/v1/events`, { method: "POST", body });
    t.is(res.status, 413);
    t.deepEqual(await res.json(), JSON.parse(answer));
  }
});

test("unread bodies - over HTTP/1.1 the rest of the body is read and thrown away, and the connection serves the next request", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const sockets = new Set<net.Socket>();
  for (let i = 0; i < 3; i++) {
    const { status, text, socket } = await new Promise<{ status?: number; text: string; socket: net.Socket }>((resolve, reject) => {
      const req = http.request(`${baseUrl}/v1/events`, { method: "POST", agent }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, text, socket: req.socket! }));
      });
      req.on("error", reject);
      req.end(body);
    });
    t.is(status, 413);
    t.is(text, answer);
    sockets.add(socket);
  }
  t.is(sockets.size, 1, "the three requests shared one connection");
});

test("unread bodies - over HTTP/2 the rest of the body is read and thrown away, and the session serves on", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  const session = http2.connect(baseUrl);
  t.teardown(() => session.destroy());
  // Enough requests on one session that frames sent after a reset would have it cut as a flood; every other one sends
  // its body only once the answer is in, so that the answer comes before a byte of it.
  for (let i = 0; i < 30; i++) {
    const stream = session.request({ ":method": "POST", ":path": "/v1/events" });
    let aborted = false;
    stream.once("aborted", () => (aborted = true));
    const closed = once(stream, "close");
    const answered = once(stream, "response");
    if (i % 2 === 0) stream.end(body);
    const [headers] = await answered;
    if (i % 2 === 1) stream.end(body);
    let text = "";
    stream.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    await closed;
    t.is(headers[":status"], 413);
    t.is(text, answer);
    t.false(aborted, "the stream was not reset while its body was being sent");
  }
  t.false(session.closed);
});

test("unread bodies - an HTTP/1.1 body that goes on past the bound has its connection cut", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  const socket = net.connect(Number(new URL(baseUrl).port), "127.0.0.1");
  const total = lingerLimits.bytes * 2;
  socket.write(`POST /v1/events HTTP/1.1\r\nhost: test\r\ncontent-length: ${total}\r\n\r\n`);
  let received = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => {});
  const closed = new Promise((resolve) => socket.once("close", resolve));
  const sent = await sendUntilClosed((chunk) => socket.write(chunk), socket, closed, total);
  t.true(received.startsWith("HTTP/1.1 413"));
  t.true(sent < total, "the server cut the connection before the whole body was sent");
});

test("unread bodies - an HTTP/2 body that goes on past the bound has its stream reset with NO_ERROR", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  const session = http2.connect(baseUrl);
  t.teardown(() => session.destroy());
  const total = lingerLimits.bytes * 2;
  const stream = session.request({ ":method": "POST", ":path": "/v1/events", "content-length": String(total) });
  stream.on("error", () => {});
  const answered = once(stream, "response");
  // A reset stream whose client is still writing is "aborted"; it closes once the client destroys it.
  const closed = new Promise((resolve) => stream.once("aborted", resolve));
  const sent = await sendUntilClosed((chunk) => stream.write(chunk), stream, closed, total);
  stream.destroy();
  const [headers] = await answered;
  t.is(headers[":status"], 413);
  t.is(stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
  t.true(sent < total, "the server reset the stream before the whole body was sent");
  t.false(session.closed);
});

/** Writes chunks until `total` bytes are sent or the connection or stream closes; resolves to the bytes written. */
async function sendUntilClosed(
  write: (chunk: Buffer) => boolean,
  emitter: NodeJS.EventEmitter,
  closed: Promise<unknown>,
  total: number,
): Promise<number> {
  const chunk = Buffer.alloc(256 * 1024, "x");
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  let sent = 0;
  while (!isClosed && sent < total) {
    sent += chunk.length;
    if (!write(chunk)) await Promise.race([new Promise((resolve) => emitter.once("drain", resolve)), closed]);
  }
  await closed;
  return sent;
}
