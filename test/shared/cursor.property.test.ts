// Opaque cursors under generated input: whatever a client sends back decodes to what we made or is refused as invalid_argument.
import test from "ava";
import fc from "fast-check";
import { type Direction, decodeCursor, decodeSequenceCursor, encodeCursor, encodeSequenceCursor } from "../../services/shared/cursor.js";
import { InvalidField } from "../../services/shared/domain-errors.js";
import { isUuid } from "../../services/shared/ids.js";
import { outcomeOf, runs } from "../helpers/properties.js";

const base64url = (text: string) => Buffer.from(text).toString("base64url");
const direction = fc.constantFrom<Direction>("asc", "desc");

// Cursors a client might send: any text, base64url of any text or JSON, and forgeries shaped like ours.
const cursors = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "binary" }).map(base64url),
  fc.json().map(base64url),
  fc
    .record({
      after: fc.oneof(fc.jsonValue(), fc.uuid(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String)),
      direction: fc.jsonValue(),
    })
    .map((fields) => base64url(JSON.stringify(fields))),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString("base64url")),
);

const refusedAsCursor = (err: unknown): err is InvalidField => err instanceof InvalidField && err.field === "cursor";

test("cursor - any string either decodes to an id or is refused as an invalid cursor", (t) => {
  fc.assert(
    fc.property(cursors, (cursor) => {
      const outcome = outcomeOf(() => decodeCursor(cursor), refusedAsCursor);
      if (outcome.refused) return;
      if (cursor === "") return outcome.value === undefined;
      return typeof outcome.value === "string" && isUuid(outcome.value);
    }),
    runs,
  );
  t.pass();
});

test("cursor - an id's cursor decodes to that id", (t) => {
  const ids = fc.tuple(fc.uuid(), fc.boolean()).map(([id, upper]) => (upper ? id.toUpperCase() : id));
  fc.assert(
    fc.property(ids, (id) => decodeCursor(encodeCursor(id)) === id),
    runs,
  );
  t.pass();
});

test("cursor - any string either decodes to a bigint sequence number or is refused as an invalid cursor", (t) => {
  fc.assert(
    fc.property(cursors, direction, (cursor, order) => {
      const outcome = outcomeOf(() => decodeSequenceCursor(cursor, order), refusedAsCursor);
      if (outcome.refused) return;
      if (cursor === "") return outcome.value === undefined;
      return typeof outcome.value === "string" && /^\d+$/.test(outcome.value) && BigInt(outcome.value) < 2n ** 63n;
    }),
    runs,
  );
  t.pass();
});

test("cursor - a sequence number's cursor decodes to it in its own direction and is refused in the other", (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), direction, (sequence, order) => {
      const cursor = encodeSequenceCursor(String(sequence), order);
      const other = outcomeOf(() => decodeSequenceCursor(cursor, order === "asc" ? "desc" : "asc"), refusedAsCursor);
      return decodeSequenceCursor(cursor, order) === String(sequence) && other.refused !== undefined;
    }),
    runs,
  );
  t.pass();
});
