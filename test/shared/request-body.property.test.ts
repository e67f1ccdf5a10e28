// The JSON body reader under generated input: any bytes, in any chunks, with any declared length, are read as JSON
// or refused with a typed error; JSON within the limit reads back as its value, and a body over it is refused as too large.
import { PassThrough } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import fc from "fast-check";
import { type DomainError, TooLarge } from "../../services/shared/domain-errors.js";
import { type HttpRequest, readJsonBody } from "../../services/shared/request-body.js";
import { runs, settledOutcomeOf } from "../helpers/properties.js";

// What the reader may refuse a body with: too large, or not JSON in UTF-8 (invalid_argument).
const typedRefusal = (err: unknown): err is DomainError | ConnectError =>
  err instanceof TooLarge || (err instanceof ConnectError && err.code === Code.InvalidArgument);

/** A request whose body arrives in these chunks, some at once and the rest one a turn of the event loop. */
function request(chunks: Uint8Array[], headers: Record<string, string>, atOnce: number): HttpRequest {
  const req = Object.assign(new PassThrough(), { headers });
  (async () => {
    for (const [i, chunk] of chunks.entries()) {
      if (i >= atOnce) await new Promise((resolve) => setImmediate(resolve));
      req.write(chunk);
    }
    req.end();
  })();
  return req as unknown as HttpRequest;
}

/** The bytes cut at the given offsets, multi-byte characters included. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((start, i) => bytes.subarray(start, [...at, bytes.length][i]));
}

const encoder = new TextEncoder();
// JSON text as clients write it: any value, unicode included, with whitespace, or a byte-order mark before it.
const jsonText = fc
  .tuple(fc.json({ stringUnit: "binary" }), fc.constantFrom("", " ", "\n\t", "\ufeff"))
  .map(([text, before]) => `${before}${text}${before === "\ufeff" ? "" : before}`);
// Bodies as anything might send them: JSON, text that is not, bytes that are not UTF-8.
const bodyBytes = fc.oneof(
  jsonText.map((text) => encoder.encode(text)),
  fc.string({ unit: "binary" }).map((text) => encoder.encode(text)),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom("", " ", "{", "{}", "null", "\ufeff", "\u00a0{}", '{"a":1}{"b":2}').map((text) => encoder.encode(text)),
);
const declared = (length: number) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant(String(length)),
    fc.nat(2 * length + 8).map(String),
    fc.constantFrom("", "-1", "abc", "1e9", "0x10", " 3 ", "99999999999999999999999"),
  );

test("request body - any bytes in any chunks, with any declared length, are read as JSON or refused with a typed error", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      bodyBytes.chain((bytes) => fc.tuple(fc.constant(bytes), fc.array(fc.nat(), { maxLength: 6 }), declared(bytes.length))),
      fc.oneof(fc.nat(80), fc.constant(1_048_576)),
      fc.nat(4),
      async ([bytes, cuts, length], maxBytes, atOnce) => {
        const headers: Record<string, string> = length === undefined ? {} : { "content-length": length };
        const outcome = await settledOutcomeOf(() => readJsonBody(request(split(bytes, cuts), headers, atOnce), maxBytes), typedRefusal);
        if (outcome.refused) return;
        const text = new TextDecoder().decode(bytes);
        return text.trim() === "" ? outcome.value === undefined : JSON.stringify(outcome.value) === JSON.stringify(JSON.parse(text));
      },
    ),
    runs,
  );
  t.pass();
});

test("request body - JSON text within the limit, cut into chunks anywhere, reads back as its value", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      jsonText,
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.nat(64),
      fc.boolean(),
      fc.nat(4),
      async (text, cuts, spare, declare, atOnce) => {
        const bytes = encoder.encode(text);
        const headers: Record<string, string> = declare ? { "content-length": String(bytes.length) } : {};
        const value = await readJsonBody(request(split(bytes, cuts), headers, atOnce), bytes.length + spare);
        return JSON.stringify(value) === JSON.stringify(JSON.parse(text.replace(/^\ufeff/, "")));
      },
    ),
    runs,
  );
  t.pass();
});

test("request body - a body over the limit is refused as too large, whether its length was declared or not", async (t) => {
  await fc.assert(
    fc.asyncProperty(bodyBytes, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), fc.nat(4), async (bytes, cuts, declare, atOnce) => {
      fc.pre(bytes.length > 0);
      const maxBytes = bytes.length - 1;
      const req = request(split(bytes, cuts), declare ? { "content-length": String(bytes.length) } : {}, atOnce);
      const outcome = await settledOutcomeOf(() => readJsonBody(req, maxBytes), typedRefusal);
      // A declared length over the limit is refused before a byte is read.
      return outcome.refused instanceof TooLarge && (!declare || req.listenerCount("data") === 0);
    }),
    runs,
  );
  t.pass();
});

test("request body - a body within the limit, its length declared truly or not at all, is never refused as too large", async (t) => {
  await fc.assert(
    fc.asyncProperty(bodyBytes, fc.array(fc.nat(), { maxLength: 6 }), fc.nat(16), fc.boolean(), async (bytes, cuts, spare, declare) => {
      const headers: Record<string, string> = declare ? { "content-length": String(bytes.length) } : {};
      const outcome = await settledOutcomeOf(
        () => readJsonBody(request(split(bytes, cuts), headers, 0), bytes.length + spare),
        typedRefusal,
      );
      return !(outcome.refused instanceof TooLarge);
    }),
    runs,
  );
  t.pass();
});
