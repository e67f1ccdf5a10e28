// Sends a request exactly as a test wrote it (any method, target, headers, bytes and declared length) over node:http,
// a bare socket or HTTP/2, and reads the answer: status, headers, body or a stream's first bytes, and trailers.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export type Transport = "http1" | "socket" | "http2";

export interface RawRequest {
  via: Transport;
  /** Sent as written over a socket; node:http and HTTP/2 send it in capitals. */
  method: string;
  /** The request target as sent: a path and query, or anything at all over a socket. */
  target: string;
  /** In order, repeats kept; node:http and HTTP/2 refuse some names and values, which a socket sends anyway. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /**
   * Content-Length: the body's own ("true"), none at all (chunked over HTTP/1.1), or a number sent whatever the body
   * is. A lie sends its request on a connection of its own.
   */
  length: "true" | "none" | number;
  /** A streamed answer (an event stream) is read for this long after its headers, then the client hangs up. */
  glimpseMs: number;
  timeoutMs: number;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeats joined with ", ". */
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
  /** The client hung up on a streamed answer after glimpseMs. */
  glimpsed: boolean;
}

/** Why no answer came: the server hung up or failed the stream, or timeoutMs passed. */
export class NoAnswer extends Error {
  override readonly name = "NoAnswer";
}

const streamedTypes = ["text/event-stream", "application/connect+", "application/grpc"];

/** Whether an answer is a stream that may not end by itself, judged by its content type. */
export function isStreamed(headers: Record<string, string>): boolean {
  const type = headers["content-type"] ?? "";
  return streamedTypes.some((prefix) => type.startsWith(prefix));
}

// Idle connections are dropped well before the server's 65 s: one reused as the server closes it fails its request.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 });
const lastUses = new WeakMap<net.Socket, { what: string; at: number }>();

export function sendRaw(url: string, request: RawRequest): Promise<RawResponse> {
  if (request.via === "socket") return viaSocket(url, request);
  if (request.via === "http2") return viaHttp2(url, request);
  return viaHttp1(url, request);
}

function viaHttp1(url: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const lie = typeof request.length === "number";
    const req = http.request({ host: hostname, port, method: request.method, path: request.target, agent: lie ? false : keepAlive });
    const timer = setTimeout(() => fail(`no answer within ${request.timeoutMs} ms`), request.timeoutMs);
    // A kept-alive connection that fails a request may be one the server cut over an earlier one: say which.
    let reused: string | undefined;
    req.once("socket", (socket) => {
      const last = lastUses.get(socket);
      reused = last && `${last.what}, ${Date.now() - last.at} ms before`;
      lastUses.set(socket, {
        what: `${request.method} ${request.target.slice(0, 60)} (${request.body.length} bytes sent)`,
        at: Date.now(),
      });
    });
    function fail(why: string) {
      clearTimeout(timer);
      req.destroy();
      reject(new NoAnswer(reused ? `${why}, on a connection kept alive after ${reused}` : why));
    }
    // After a whole answer, an error (the server hanging up on what followed a lie) changes nothing.
    req.on("error", (err) => fail(err.message));
    req.once("response", (res) => {
      const headers = joined(res.headersDistinct);
      readBody(res, headers, request.glimpseMs, () => req.destroy()).then(
        ({ body, glimpsed }) => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers, trailers: joined(res.trailersDistinct), body, glimpsed });
        },
        (err: Error) => fail(err.message),
      );
    });
    try {
      for (const [name, value] of request.headers) req.appendHeader(name, value);
      if (request.length === "true") req.setHeader("content-length", request.body.length);
      else if (lie) req.setHeader("content-length", request.length);
      // Said outright: node:http frames a body in chunks by itself only for methods that usually have one, and would
      // send a GET's body bare, where the server reads it as the next request.
      else if (request.body.length > 0) req.setHeader("transfer-encoding", "chunked");
    } catch (err) {
      // A name or value node:http refuses to send: the test sends such ones over a socket instead.
      clearTimeout(timer);
      req.destroy();
      return reject(err);
    }
    if (request.body.length > 0) req.write(request.body);
    req.end();
  });
}

/** Reads a body whole, or a streamed one for glimpseMs and then hangs up. */
function readBody(
  res: NodeJS.ReadableStream,
  headers: Record<string, string>,
  glimpseMs: number,
  hangUp: () => void,
): Promise<{ body: Buffer; glimpsed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (glimpsed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(glimpse);
      if (glimpsed) hangUp();
      resolve({ body: Buffer.concat(chunks), glimpsed });
    };
    const cut = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(glimpse);
      reject(new NoAnswer(why));
    };
    const glimpse = isStreamed(headers) ? setTimeout(() => settle(true), glimpseMs) : undefined;
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.once("end", () => settle(false));
    res.once("error", (err: Error) => cut(`the answer was cut: ${err.message}`));
    res.once("close", () => cut("the connection closed before the answer ended"));
  });
}

function joined(headers: Record<string, string[] | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, (values ?? []).join(", ")]));
}

function viaSocket(url: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let glimpse: NodeJS.Timeout | undefined;
    const finish = (glimpsed: boolean) => {
      clearTimeout(timer);
      clearTimeout(glimpse);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(chunks));
      if (parsed) resolve({ ...parsed, glimpsed });
      else reject(new NoAnswer(chunks.length ? "an answer that is not HTTP/1.1" : "the server hung up without answering"));
    };
    const timer = setTimeout(() => finish(false), request.timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const head = parseHead(Buffer.concat(chunks));
      if (head && glimpse === undefined && isStreamed(head.headers)) glimpse = setTimeout(() => finish(true), request.glimpseMs);
    });
    socket.once("end", () => finish(false));
    socket.once("error", () => finish(false));
    // A body without a length goes in chunks, as over node:http: unframed, it would be read as the next request.
    const chunked = request.length === "none" && request.body.length > 0;
    const length =
      request.length === "true"
        ? [`content-length: ${request.body.length}`]
        : request.length === "none"
          ? chunked
            ? ["transfer-encoding: chunked"]
            : []
          : [`content-length: ${request.length}`];
    const head = [
      `${request.method} ${request.target} HTTP/1.1`,
      ...request.headers.map(([name, value]) => `${name}: ${value}`),
      ...length,
    ];
    // The answer is read to the end of the connection: the server closes it after answering.
    const body = chunked
      ? Buffer.concat([Buffer.from(`${request.body.length.toString(16)}\r\n`), request.body, Buffer.from("\r\n0\r\n\r\n")])
      : request.body;
    socket.write(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\nconnection: close\r\n\r\n`, "latin1"), body]));
  });
}

interface Head {
  status: number;
  headers: Record<string, string>;
  bodyAt: number;
}

/** The status and headers of the first final answer in bytes read off a socket (1xx answers skipped). */
function parseHead(bytes: Buffer): Head | undefined {
  let at = 0;
  for (;;) {
    const end = bytes.indexOf("\r\n\r\n", at);
    if (end < 0) return undefined;
    const [statusLine = "", ...lines] = bytes.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!status) return undefined;
    at = end + 4;
    if (status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    return { status, headers, bodyAt: at };
  }
}

function parseResponse(bytes: Buffer): Omit<RawResponse, "glimpsed"> | undefined {
  const head = parseHead(bytes);
  if (!head) return undefined;
  const rest = bytes.subarray(head.bodyAt);
  const length = Number(head.headers["content-length"]);
  const body = head.headers["transfer-encoding"]?.includes("chunked")
    ? unchunked(rest)
    : Number.isFinite(length)
      ? rest.subarray(0, length)
      : rest;
  return { status: head.status, headers: head.headers, trailers: {}, body };
}

/** A chunked body as far as it arrived. */
function unchunked(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!size) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

// Names HTTP/2 forbids (RFC 9113 §8.2.2), which node:http2 refuses to send.
const connectionHeaders = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"]);

function viaHttp2(url: string, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // Node buffers a body written at once in its session; its default 10 MB would reset our own larger bodies.
    const session = http2.connect(url, { maxSessionMemory: 64 });
    const done = () => session.close();
    const fail = (why: string) => {
      session.destroy();
      reject(new NoAnswer(why));
    };
    const timer = setTimeout(() => fail(`no answer within ${request.timeoutMs} ms`), request.timeoutMs);
    session.once("error", (err) => fail(err.message));
    const headers: http2.OutgoingHttpHeaders = { ":method": request.method, ":path": request.target };
    for (const [name, value] of request.headers) {
      const lower = name.toLowerCase();
      if (connectionHeaders.has(lower) || lower === "content-length") continue;
      // Repeats are joined as one value: node:http2 refuses several values for most names (content-type, authorization).
      const before = headers[lower];
      headers[lower] = before === undefined ? value : `${before}, ${value}`;
    }
    if (request.length !== "none") headers["content-length"] = String(request.body.length);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: request.body.length === 0 });
    } catch (err) {
      clearTimeout(timer);
      session.destroy();
      return reject(err);
    }
    let trailers: Record<string, string> = {};
    stream.once("trailers", (received) => {
      trailers = plain(received);
    });
    stream.once("error", (err) => {
      clearTimeout(timer);
      fail(err.message);
    });
    stream.once("response", (received) => {
      const responseHeaders = plain(received);
      readBody(stream, responseHeaders, request.glimpseMs, () => stream.close(http2.constants.NGHTTP2_CANCEL)).then(
        ({ body, glimpsed }) => {
          clearTimeout(timer);
          done();
          resolve({ status: Number(received[":status"]), headers: responseHeaders, trailers, body, glimpsed });
        },
        (err: Error) => fail(err.message),
      );
    });
    if (request.body.length > 0) stream.end(request.body);
  });
}

function plain(headers: http2.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => !name.startsWith(":"))
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : String(value)]),
  );
}
