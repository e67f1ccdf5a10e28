// What becomes of a request body still arriving when its answer is already sent (a 413, 401, 415, 429, 404 or 405).
import http2 from "node:http2";
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
    if (!req.complete) discard(req, () => req.socket.destroy());
  });
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
