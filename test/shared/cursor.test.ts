// Opaque cursors: what they continue after, and what they refuse.
import test from "ava";
import { decodeCursor, decodeSequenceCursor, encodeCursor, encodeSequenceCursor } from "../../services/shared/cursor.js";
import { InvalidField } from "../../services/shared/domain-errors.js";

test("cursor - a cursor continues after the id it was made from", (t) => {
  const id = "01a2078b-370f-7683-bc23-7b15c61da1b9";
  t.is(decodeCursor(encodeCursor(id)), id);
});

test("cursor - no cursor means the first page", (t) => {
  t.is(decodeCursor(""), undefined);
});

test("cursor - a cursor this API did not make is an invalid field", (t) => {
  const forged = [Buffer.from('{"after":"1 or 1=1"}').toString("base64url"), "not-a-cursor", "e30"];
  for (const cursor of forged) {
    const err = t.throws(() => decodeCursor(cursor), { instanceOf: InvalidField });
    t.is(err?.field, "cursor", cursor);
  }
});

test("cursor - a sequence cursor continues after its number, in the direction it was made for only", (t) => {
  t.is(decodeSequenceCursor(encodeSequenceCursor("42", "desc"), "desc"), "42");
  t.is(decodeSequenceCursor("", "asc"), undefined);
  const err = t.throws(() => decodeSequenceCursor(encodeSequenceCursor("42", "desc"), "asc"), { instanceOf: InvalidField });
  t.is(err?.field, "cursor");
});

test("cursor - a sequence cursor beyond Postgres' bigint, or not a number, is an invalid field", (t) => {
  for (const after of ["9223372036854775808", "9999999999999999999", "-1", "1e3", "12345678901234567890"]) {
    const cursor = Buffer.from(JSON.stringify({ after, direction: "asc" })).toString("base64url");
    const err = t.throws(() => decodeSequenceCursor(cursor, "asc"), { instanceOf: InvalidField });
    t.is(err?.field, "cursor", after);
  }
  t.is(decodeSequenceCursor(encodeSequenceCursor("9223372036854775807", "asc"), "asc"), "9223372036854775807");
});
