// The JSON body reader on bodies sent compressed: gzip and br are decoded, within the limit once decoded; a body that is
// not what its Content-Encoding says, or in a coding not taken, is refused, never read as it is.
import { PassThrough } from "node:stream";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import { UnsupportedEncoding } from "../../services/shared/content-encoding.js";
import { isDependencyDown } from "../../services/shared/dependency-errors.js";
import { TooLarge } from "../../services/shared/domain-errors.js";
import { type HttpRequest, readJsonBody } from "../../services/shared/request-body.js";

function request(bytes: Uint8Array, headers: Record<string, string>): HttpRequest {
  const req = Object.assign(new PassThrough(), { headers });
  req.end(bytes);
  return req as unknown as HttpRequest;
}

const event = { type: "order.created", data: { order: 42, note: "ünïcödé" } };
const json = Buffer.from(JSON.stringify(event));

test("request body - a gzip or br body is read as the JSON it holds, whatever the case of its coding", async (t) => {
  for (const [encoding, bytes] of [
    ["gzip", gzipSync(json)],
    ["GZIP", gzipSync(json)],
    ["x-gzip", gzipSync(json)],
    [" br ", brotliCompressSync(json)],
    ["identity", json],
  ] as const) {
    t.deepEqual(await readJsonBody(request(bytes, { "content-encoding": encoding }), 1024), event, encoding);
  }
});

test("request body - JSON labelled gzip or br is refused as invalid_argument, not read as it is", async (t) => {
  for (const encoding of ["gzip", "br"]) {
    const err = await t.throwsAsync(readJsonBody(request(json, { "content-encoding": encoding }), 1024), { instanceOf: ConnectError });
    t.is(err?.code, Code.InvalidArgument);
    t.is(err?.rawMessage, `the request body is not valid ${encoding}`);
  }
});

test("request body - a compressed body that inflates past the limit is refused as too large, however small it was sent", async (t) => {
  // 8 MiB of JSON that gzip sends in a few KiB: the limit holds for what the body becomes.
  const bomb = gzipSync(Buffer.from(`{"type":"a","data":{"x":"${"0".repeat(8 * 1024 * 1024)}"}}`));
  t.true(bomb.length < 16 * 1024);
  await t.throwsAsync(readJsonBody(request(bomb, { "content-encoding": "gzip" }), 1024 * 1024), { instanceOf: TooLarge });
  // Within the limit once decoded, it is read.
  const small = gzipSync(Buffer.from(`{"x":"${"0".repeat(1000)}"}`));
  t.deepEqual(await readJsonBody(request(small, { "content-encoding": "gzip" }), 1008), { x: "0".repeat(1000) });
});

test("request body - a coding not taken is refused before a byte of the body is read", async (t) => {
  for (const encoding of ["deflate", "compress", "zstd", "gzip, br", "x-garbage"]) {
    const req = request(deflateSync(json), { "content-encoding": encoding });
    const err = await t.throwsAsync(readJsonBody(req, 1024), { instanceOf: UnsupportedEncoding });
    t.regex(err?.message ?? "", /gzip or br/);
    t.is(req.listenerCount("data"), 0, encoding);
  }
});

test("request body - an empty body labelled gzip is no body", async (t) => {
  t.is(await readJsonBody(request(Buffer.alloc(0), { "content-encoding": "gzip" }), 1024), undefined);
});

test("request body - a client hanging up before its body has arrived is canceled, not a dependency down", async (t) => {
  const req = Object.assign(new PassThrough(), { headers: {} });
  req.write('{"type": "a", ');
  // As Node's server reports a connection reset mid-body.
  setImmediate(() => req.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })));
  const err = await t.throwsAsync(readJsonBody(req as unknown as HttpRequest, 1024), { instanceOf: ConnectError });
  t.is(err?.code, Code.Canceled);
  t.false(isDependencyDown(err));
});
