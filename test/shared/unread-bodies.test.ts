// A body still arriving when its answer is sent: the client reads the answer, over HTTP/1.1 and HTTP/2, and the connection is bounded.
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import test from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { type ServerOptions, startServer } from "../../services/shared/server.js";
import { lingerLimits } from "../../services/shared/unread-bodies.js";

const answer = JSON.stringify({ code: "resource_exhausted", message: "too large" });

type Teardowns = { teardown(fn: () => Promise<void>): void };

// Answers 413 to every request that is not an RPC, before reading a byte of its body.
async function serveEarlyAnswers(t: Teardowns) {
  const port = await serve(t, (_req, res) => {
    res.writeHead(413, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
    res.end(answer);
  });
  return `http://127.0.0.1:${port}`;
}

/** A server whose every request that is not an RPC goes to fallback; its port. */
async function serve(t: Teardowns, fallback: ServerOptions["fallback"]): Promise<number> {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    adminPort: 0,
    maxConnectionAgeMs: 300_000,
    logger: createLogger("test", "silent"),
    metrics: createMetrics("test"),
    services: [AuthService],
    routes: () => {},
    fallback,
  });
  t.teardown(() => server.close(0));
  return server.port;
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

test("unread bodies - a client that asked for the connection to close still reads an answer sent while its body is uploaded", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  // Found by generated requests: a 5 MiB batch sent with Connection: close, as proxies send requests on, got no answer.
  for (let i = 0; i < 20; i++) {
    const head = `POST /v1/events HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`;
    const { received, error } = await sendReadingLate(baseUrl, head);
    t.true(received.startsWith("HTTP/1.1 413"), `answer ${i}: ${JSON.stringify(received.slice(0, 40))}${error ? ` (${error})` : ""}`);
    t.true(received.endsWith(answer));
  }
});

test("unread bodies - a request HTTP refuses before it is read (headers too large, a method no server knows) still gets its answer while its body is uploaded", async (t) => {
  const baseUrl = await serveEarlyAnswers(t);
  // Found by generated requests: 17 KiB of headers, or a lowercase method, with a 5 MiB body got no answer at all.
  const heads = [
    ["431", `POST /v1/events HTTP/1.1\r\nhost: test\r\nx-pad: ${"p".repeat(17 * 1024)}\r\ncontent-length: ${body.length}\r\n\r\n`],
    ["400", `post /v1/events HTTP/1.1\r\nhost: test\r\ncontent-length: ${body.length}\r\n\r\n`],
  ];
  for (const [status, head] of heads) {
    for (let i = 0; i < 5; i++) {
      const { received, error } = await sendReadingLate(baseUrl, head!);
      t.true(
        received.startsWith(`HTTP/1.1 ${status}`),
        `${status} ${i}: ${JSON.stringify(received.slice(0, 40))}${error ? ` (${error})` : ""}`,
      );
    }
  }
});

test("unread bodies - a request followed by bytes that are no request is answered first, and only then are those refused", async (t) => {
  // Found by generated requests: a Content-Length short of its body (as a client counting characters, not bytes,
  // sends) left bytes that HTTP refused as a request of their own with 400, written before the answer to the request,
  // which was still being served: the client read 400 for a request whose event was published.
  const port = await serve(t, (req, res) => {
    req.resume();
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json", "content-length": 2 });
      res.end("{}");
    }, 100);
  });
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  socket.setEncoding("latin1").on("data", (chunk: string) => (received += chunk));
  const closed = new Promise((resolve) => socket.once("close", resolve));
  socket.on("error", () => {});
  socket.write("POST /v1/events HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n{}\u00e9\u00e9 not a request\r\n\r\n");
  await closed;
  t.regex(received, /^HTTP\/1\.1 200 [\s\S]*\{\}HTTP\/1\.1 400 /);
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

/**
 * Sends a request head and the body over a socket of its own, reading the answer only once the body is sent, as
 * HTTP/1.1 clients do: a reset arriving before then throws the answer away unread.
 */
async function sendReadingLate(baseUrl: string, head: string): Promise<{ received: string; error?: string }> {
  const socket = net.connect(Number(new URL(baseUrl).port), "127.0.0.1");
  let received = "";
  socket.setEncoding("latin1").on("data", (chunk: string) => (received += chunk));
  const ended = new Promise<string | undefined>((resolve) => {
    socket.once("error", (err) => resolve(err.message));
    socket.once("close", () => resolve(undefined));
  });
  socket.pause();
  socket.write(head);
  await new Promise((resolve) => socket.write(body, resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.resume();
  const error = await ended;
  return { received, error };
}

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
