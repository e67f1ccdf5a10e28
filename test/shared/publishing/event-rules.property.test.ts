// The event rules under generated input: any event is accepted as it was sent, or refused naming the field at fault.
import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import test from "ava";
import fc from "fast-check";
import { type EventInput, EventInputSchema } from "../../../gen/triggers/v1/event_pb.js";
import { maxDataBytes, maxSourceLength } from "../../../services/shared/api-limits.js";
import { type DomainError, InvalidField, TooLarge } from "../../../services/shared/domain-errors.js";
import { acceptEvent } from "../../../services/shared/publishing/event-rules.js";
import { outcomeOf, runs } from "../../helpers/properties.js";

const maxDepth = 32;

/** The JSON text of an object nested exactly depth levels, in objects or in arrays. */
function nestedText(depth: number, inArrays: boolean): string {
  if (depth === 1) return "{}";
  return inArrays ? `{"n":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}` : `${'{"n":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
}

// Strings with what the rules look for: NUL characters, and a backslash before "u0000", which is text.
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("\0", "a\0b", "\\u0000", "\\\\u0000", "\\", '"', "{[", "]}"),
);
const jsonValue = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    tie("object"),
  ),
  object: fc.dictionary(text, tie("value"), { maxKeys: 4 }),
})) as { value: fc.Arbitrary<JsonValue>; object: fc.Arbitrary<JsonObject> };
// Data as a Struct: gRPC and Connect decode no message nested more than 100 deep, some 50 levels of data.
const dataObject = fc.oneof(
  jsonValue.object,
  fc.tuple(fc.integer({ min: 1, max: 50 }), fc.boolean()).map(([depth, inArrays]) => JSON.parse(nestedText(depth, inArrays)) as JsonObject),
);
// Data as JSON text, which nothing decodes before the rules: any depth that fits in 256 KiB.
const depth = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40_000 }));
const deepText = fc.tuple(depth, fc.boolean()).map(([levels, inArrays]) => nestedText(levels, inArrays));

const eventType = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/),
  fc.stringMatching(/^[A-Za-z0-9._:-]{0,8}$/).map((rest) => `triggers.${rest}`),
  fc.string({ unit: "binary", maxLength: 140 }),
);
const source = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc
    .tuple(fc.integer({ min: maxSourceLength - 2, max: maxSourceLength + 2 }), fc.boolean())
    .map(([n, nul]) => (nul ? "\0" : "s").repeat(n)),
);
// data_json as clients send it: JSON text of any value, text that is not JSON, bytes that are not UTF-8.
const dataJson = fc
  .oneof(
    dataObject.map((value) => JSON.stringify(value)),
    deepText,
    fc.json(),
    fc.string({ unit: "binary" }),
    fc.constantFrom('{"a":"\\u0000"}', '{"a":"\\\\u0000"}', '{"\\u0000":1}', "[]", "null", '"{}"', "{} {}", "\ufeff{}"),
  )
  .map((json) => new TextEncoder().encode(json));
const payload = fc.oneof(
  fc.constant({}),
  dataObject.map((data) => ({ data })),
  fc.oneof(dataJson, fc.uint8Array({ maxLength: 32 })).map((bytes) => ({ dataJson: bytes })),
  fc.tuple(dataObject, dataJson).map(([data, bytes]) => ({ data, dataJson: bytes })),
);
const bound = 253_402_300_799n;
const occurredAt = fc.option(
  fc
    .record({
      seconds: fc.oneof(fc.bigInt({ min: -bound - 2n, max: bound + 2n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
      nanos: fc.integer({ min: 0, max: 999_999_999 }),
    })
    .map((time) => create(TimestampSchema, time)),
  { nil: undefined },
);
const idempotencyKey = fc.oneof(fc.constant(""), fc.string({ maxLength: 260 }), fc.string({ unit: "binary", maxLength: 8 }));

const eventInput = fc
  .record({ type: eventType, source, payload, occurredAt, idempotencyKey })
  .map(({ payload: data, ...attributes }) => create(EventInputSchema, { ...attributes, ...data }));
const prefix = fc.constantFrom("", "events[0].", "events[999].");

const ruleError = (err: unknown): err is DomainError => err instanceof InvalidField || err instanceof TooLarge;
const fields = ["type", "source", "data", "data_json", "occurred_at", "idempotency_key"];

test("event rules - any event is accepted or refused naming one of its fields, with the batch's prefix", (t) => {
  fc.assert(
    fc.property(eventInput, prefix, (input, before) => {
      const outcome = outcomeOf(() => acceptEvent(input, before), ruleError);
      if (!outcome.refused) return true;
      const { field } = outcome.refused as InvalidField | TooLarge;
      return field.startsWith(before) && fields.includes(field.slice(before.length));
    }),
    runs,
  );
  t.pass();
});

// The data an event was sent with, as a value.
function sentData(input: EventInput): JsonValue {
  return input.dataJson.length > 0 ? (JSON.parse(new TextDecoder().decode(input.dataJson)) as JsonValue) : (input.data ?? {});
}

test("event rules - an accepted event keeps the type, source, data and occurred_at it was sent with", (t) => {
  fc.assert(
    fc.property(eventInput, (input) => {
      const outcome = outcomeOf(() => acceptEvent(input), ruleError);
      if (outcome.refused) return true;
      const { event, data, idempotency } = outcome.value;
      return (
        JSON.stringify(JSON.parse(data)) === JSON.stringify(sentData(input)) &&
        event.type === input.type &&
        event.source === input.source &&
        Buffer.byteLength(data) <= maxDataBytes &&
        (input.occurredAt ? event.occurredAt === input.occurredAt : event.occurredAt === event.receivedAt) &&
        (idempotency?.key ?? "") === input.idempotencyKey
      );
    }),
    runs,
  );
  t.pass();
});

/** Whether a string or a name anywhere in the value holds a NUL character. */
function holdsNul(value: JsonValue): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value && typeof value === "object") return Object.entries(value).some(([key, inner]) => key.includes("\0") || holdsNul(inner));
  return false;
}

function depthOf(value: JsonValue): number {
  let deepest = 0;
  const stack: [JsonValue, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [at, depth] = item;
    if (at === null || typeof at !== "object") continue;
    deepest = Math.max(deepest, depth + 1);
    for (const inner of Object.values(at)) stack.push([inner, depth + 1]);
  }
  return deepest;
}

test("event rules - data is refused exactly when it nests deeper than 32 levels or holds a NUL character, as data or as data_json", (t) => {
  fc.assert(
    fc.property(dataObject, fc.boolean(), (data, asText) => {
      const input = create(EventInputSchema, { type: "a", ...(asText ? { dataJson: Buffer.from(JSON.stringify(data)) } : { data }) });
      const outcome = outcomeOf(() => acceptEvent(input), ruleError);
      const refused = depthOf(data) > maxDepth || holdsNul(data);
      return refused ? (outcome.refused as InvalidField | undefined)?.field === "data" : !outcome.refused;
    }),
    runs,
  );
  t.pass();
});

test("event rules - data_json of any depth is refused exactly when it nests deeper than 32 levels", (t) => {
  fc.assert(
    fc.property(depth, fc.boolean(), (levels, inArrays) => {
      const input = create(EventInputSchema, { type: "a", dataJson: Buffer.from(nestedText(levels, inArrays)) });
      const outcome = outcomeOf(() => acceptEvent(input), ruleError);
      return levels > maxDepth ? (outcome.refused as InvalidField | undefined)?.field === "data" : !outcome.refused;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test("event rules - data is refused as too large exactly when its JSON text is over 256 KiB", (t) => {
  const sizes = fc.oneof(fc.integer({ min: maxDataBytes - 4, max: maxDataBytes + 4 }), fc.integer({ min: 2, max: 2 * maxDataBytes }));
  fc.assert(
    fc.property(sizes, fc.constantFrom("x", "é", "😀"), fc.boolean(), (size, unit, asText) => {
      // {"d":"…"} padded with the unit as far as it fits, then with ASCII, to exactly size bytes where it can be.
      const room = Math.max(0, size - Buffer.byteLength('{"d":""}'));
      const units = Math.floor(room / Buffer.byteLength(unit));
      const data = { d: unit.repeat(units) + "x".repeat(room - units * Buffer.byteLength(unit)) };
      const bytes = Buffer.byteLength(JSON.stringify(data));
      const input = create(EventInputSchema, { type: "a", ...(asText ? { dataJson: Buffer.from(JSON.stringify(data)) } : { data }) });
      const outcome = outcomeOf(() => acceptEvent(input), ruleError);
      return bytes > maxDataBytes ? outcome.refused instanceof TooLarge && outcome.refused.field === "data" : !outcome.refused;
    }),
    { numRuns: 200 },
  );
  t.pass();
});
