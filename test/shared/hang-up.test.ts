// A client hanging up before its answer is written aborts the work done for it, over HTTP/1.1 and HTTP/2 alike; an
// answer written in full aborts nothing.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import test from "ava";
import { abortOnClose } from "../../services/shared/hang-up.js";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** A server whose handler reports whether its request's signal was aborted, once the response has closed. */
async function serve(t: { teardown(fn: () => void): void }, version: 1 | 2, answer: boolean) {
  let settle: (aborted: boolean) => void = () => {};
  const aborted = new Promise<boolean>((resolve) => (settle = resolve));
  const handler: Handler = (_req, answering) => {
    const signal = abortOnClose(answering);
    // Both versions answer alike; their types differ in ways this test does not use.
    const res = answering as http.ServerResponse;
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write("ready\n\n");
    if (answer) res.end("done\n\n");
    res.once("close", () => setImmediate(() => settle(signal.aborted)));
  };
  const server = version === 1 ? http.createServer(handler) : http2.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, aborted };
}

test("hang-up - an HTTP/2 client cancelling its stream before the answer is written aborts the work done for it", async (t) => {
  // Found by generated requests: event streams over HTTP/2 whose client had gone held their key's slot until a write
  // timed out, and refused the key's next streams as too many.
  const { url, aborted } = await serve(t, 2, false);
  const session = http2.connect(url);
  t.teardown(() => session.destroy());
  const stream = session.request({ ":path": "/" });
  stream.once("response", () => stream.close(http2.constants.NGHTTP2_CANCEL));
  t.true(await aborted);
});

test("hang-up - an HTTP/1.1 client going away before the answer is written aborts the work done for it", async (t) => {
  const { url, aborted } = await serve(t, 1, false);
  const req = http.get(url, { agent: false }, () => req.destroy());
  req.on("error", () => {});
  t.true(await aborted);
});

test("hang-up - an answer written in full aborts nothing, over either version", async (t) => {
  for (const version of [1, 2] as const) {
    const { url, aborted } = await serve(t, version, true);
    if (version === 1) http.get(url, { agent: false }, (res) => res.resume());
    else {
      const session = http2.connect(url);
      t.teardown(() => session.destroy());
      session.request({ ":path": "/" }).resume();
    }
    t.false(await aborted, `HTTP/${version}`);
  }
});
