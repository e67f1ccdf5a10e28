// What becomes of a request body still arriving when its answer is already sent (a 413, 401, 415, 429, 404 or 405).
import type http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import type { HttpHandler } from "./server.js";

type Request = Parameters<HttpHandler>[0];
type Response = Parameters<HttpHandler>[1];

/**
 * How much of an unread body is read and thrown away after an early answer, and for how long, before the
 * connection (HTTP/1.1) or the stream (HTTP/2) is cut: enough for a client to finish sending a body a few times over
 * a limit (the largest, a 5 MiB batch) on a slow link, so that it reads its answer; bounded, so that nobody can keep
 * a connection busy for ever.
 */
export const lingerLimits = { bytes: 16 * 1024 * 1024, ms: 10_000 };

/**
 * Makes sure a client still sending its body reads the early answer it was given. Closing at once, as answering with
 * `Connection: close` does, resets a connection whose client is still writing: most clients (Node's fetch, SDKs,
 * proxies) then fail on the write and never read the answer waiting for them. So, as nginx's lingering close does,
 * the rest is read and thrown away, within lingerLimits, and the connection stays usable.
 *
 * HTTP/2 too: RFC 9113 §8.1 lets a server end such a stream at once with RST_STREAM NO_ERROR, but Debian's curl (7.88)
 * then fails the request, and Node's client goes on sending, so that its session is cut as a flood of invalid frames
 * (ENHANCE_YOUR_CALM) after a few such answers. The reset is kept for a body past the bounds.
 */
// One function for every request, reading its request from `this`: a closure made here per request shared its scope
// with the finish listener below, so each request held its response, and whole pairs outlived young collections
// (3.4 against 1.2 to 1.9 KB promoted to the old heap per event, and the gateway's RSS with them).
function iterateKeepingRequest(this: Request) {
  return this.iterator({ destroyOnReturn: false });
}

export function settleUnreadBody(req: Request, res: Response): void {
  // connect-node reads a body with for-await, whose early end (past readMaxBytes) would destroy the request, and with it
  // the connection or stream the client goes on using: it is left to be settled here instead.
  req[Symbol.asyncIterator] = iterateKeepingRequest;
  if (req.httpVersionMajor === 2) {
    const { stream } = req as http2.Http2ServerRequest;
    // Before Node's own listener, which resets a stream whose answer is written and whose body was never read.
    stream.prependOnceListener("finish", () => {
      if (!req.readableEnded) discard(req, () => stream.close(http2.constants.NGHTTP2_NO_ERROR));
    });
    return;
  }
  // Before Node's own listener, which would either throw the rest away without bounds or close the connection.
  res.prependOnceListener("finish", () => {
    if (req.complete) return;
    const { socket } = req;
    if (!(res as http.ServerResponse).shouldKeepAlive) closeWhenRead(req, socket);
    discard(req, () => socket.destroy());
  });
}

/**
 * A connection that ends with this answer (its client sent Connection: close, as proxies do, or spoke HTTP/1.0) Node
 * closes as soon as the answer is written, body still arriving: the kernel then resets it, and the client, still
 * writing, loses the answer it had not read yet. As RFC 9112 §9.6 asks, only the server's half is closed (Node calls
 * destroySoon for that), and the connection once the body has been read and thrown away, or cut at the bounds.
 */
function closeWhenRead(req: Request, socket: Request["socket"]): void {
  const closeOnceWritten = socket.destroySoon.bind(socket);
  socket.destroySoon = () => socket.end();
  req.once("end", closeOnceWritten);
}

function discard(req: Request, cut: () => void): void {
  let bytes = 0;
  const deadline = setTimeout(cut, lingerLimits.ms).unref();
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > lingerLimits.bytes) cut();
  });
  req.once("close", () => clearTimeout(deadline));
  req.resume();
}

// HTTP's own answers to requests it refuses before they reach a handler, as Node writes them.
const refusals: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
};

/**
 * Node answers a request it cannot parse (headers over the limit: 431; a method or framing it does not know: 400) and
 * closes the connection at once, body still arriving: the client, still writing, loses the answer to the reset. Here
 * the answer is written and the server's half closed, and what still arrives is read and thrown away within
 * lingerLimits, as after an early answer. A request that took too long (408) is cut at once, as before: lingering
 * would give a slow client the time it was refused.
 *
 * What cannot be parsed may follow a request still being served (a Content-Length short of its body leaves bytes that
 * read as a request of their own): its answer comes first, in order, and only then the refusal. Node wrote the
 * refusal at once, which the client took for the answer to its request, served all the same.
 */
export function lingerAfterRefusals(server: http.Server): void {
  const refused = new WeakSet<net.Socket>();
  server.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
    // The parser keeps failing on what follows its first error: the first one is answered.
    if (refused.has(socket)) return;
    refused.add(socket);
    const serving = (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" || !socket.writable) {
      if (socket.writable && !serving?.headersSent) socket.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
      return void socket.destroy();
    }
    const refusal = `HTTP/1.1 ${refusals[err.code ?? ""] ?? "400 Bad Request"}\r\nConnection: close\r\n\r\n`;
    lingerOn(socket);
    if (!serving) return void socket.end(refusal);
    // An answer that closes its connection (the client asked it to) is the last thing the connection carries.
    if (!serving.shouldKeepAlive) return;
    if (serving.writableEnded) return void socket.end(refusal);
    serving.once("finish", () => {
      if (socket.writable) socket.end(refusal);
    });
    serving.once("close", () => {
      if (!serving.writableFinished) socket.destroy();
    });
  });
}

/** Reads and throws away what still arrives on a connection being closed, within lingerLimits. */
function lingerOn(socket: net.Socket): void {
  let bytes = 0;
  const deadline = setTimeout(() => socket.destroy(), lingerLimits.ms).unref();
  socket.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > lingerLimits.bytes) socket.destroy();
  });
  socket.once("close", () => clearTimeout(deadline));
}
