import test from "ava";
import { decodeCursor, encodeCursor } from "../../services/shared/cursor.js";
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
