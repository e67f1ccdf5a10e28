// A REST body under generated input: any content type and content encoding is read as JSON, or refused with a typed
// error, a type that is not JSON or a coding not taken as 415 before a byte of the body is read.
import { PassThrough } from "node:stream";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import fc from "fast-check";
import { httpStatus } from "../../services/gateway/http-errors.js";
import { isJsonMediaType, readRestBody } from "../../services/gateway/request-body.js";
import { contentCoding, UnsupportedEncoding } from "../../services/shared/content-encoding.js";
import { type DomainError, TooLarge } from "../../services/shared/domain-errors.js";
import type { HttpRequest } from "../../services/shared/request-body.js";
import { outcomeOf, runs, settledOutcomeOf } from "../helpers/properties.js";

const typedRefusal = (err: unknown): err is DomainError | ConnectError =>
  err instanceof TooLarge || (err instanceof ConnectError && err.code === Code.InvalidArgument);

const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    " Application/JSON ;charset=latin1",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "+json",
    ";application/json",
    "",
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
);
const encodings = { identity: (bytes: Uint8Array) => bytes, gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
const contentEncoding = fc.constantFrom(...Object.keys(encodings), "compress", "GZIP", "gzip, identity", "x-garbage");
const body = fc.oneof(
  fc.json({ stringUnit: "binary" }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

/** Whether the gateway decodes a body in this coding (or takes it as it is). */
function taken(encoding: string | undefined): boolean {
  return (
    outcomeOf(
      () => contentCoding(encoding),
      (err): err is UnsupportedEncoding => err instanceof UnsupportedEncoding,
    ).refused === undefined
  );
}

function request(bytes: Uint8Array, headers: Record<string, string>): HttpRequest {
  const req = Object.assign(new PassThrough(), { headers });
  req.end(bytes);
  return req as unknown as HttpRequest;
}

test("rest body - any content type, encoding and body is read as JSON or refused with a typed error, a type not JSON or a coding not taken as 415 unread", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.option(contentType, { nil: undefined }),
      fc.option(contentEncoding, { nil: undefined }),
      body,
      fc.oneof(fc.nat(80), fc.constant(1_048_576)),
      async (type, encoding, bytes, maxBytes) => {
        const encoded = encoding && encoding in encodings ? encodings[encoding as keyof typeof encodings](bytes) : bytes;
        const headers: Record<string, string> = {
          ...(type !== undefined && { "content-type": type }),
          ...(encoding !== undefined && { "content-encoding": encoding }),
        };
        const req = request(encoded, headers);
        const outcome = await settledOutcomeOf(async () => readRestBody(req, maxBytes), typedRefusal);
        const json = !type || isJsonMediaType(type);
        if (json && taken(encoding)) return !(outcome.refused instanceof ConnectError && httpStatus(outcome.refused) === 415);
        return outcome.refused instanceof ConnectError && httpStatus(outcome.refused) === 415 && req.listenerCount("data") === 0;
      },
    ),
    runs,
  );
  t.pass();
});

test("rest body - JSON text sent as JSON, in any case, spacing and with any parameters, reads back as its value", async (t) => {
  const jsonType = fc
    .tuple(
      fc.constantFrom("application/json", "application/cloudevents+json", "application/vnd.example+json"),
      fc.boolean(),
      fc.constantFrom("", " "),
      fc.constantFrom("", "; charset=utf-8", ";charset=UTF-8", "; x=y; z"),
    )
    .map(([media, upper, space, parameters]) => `${space}${upper ? media.toUpperCase() : media}${space}${parameters}`);
  await fc.assert(
    fc.asyncProperty(fc.option(jsonType, { nil: undefined }), fc.json({ stringUnit: "binary" }), async (type, text) => {
      const bytes = Buffer.from(text);
      const value = await readRestBody(request(bytes, type === undefined ? {} : { "content-type": type }), bytes.length);
      return JSON.stringify(value) === JSON.stringify(JSON.parse(text));
    }),
    runs,
  );
  t.pass();
});
