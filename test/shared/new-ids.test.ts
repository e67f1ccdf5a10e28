// New ids: UUIDv7s, all distinct and in the order they were made, past the random bytes drawn in bulk.
import test from "ava";
import { validate, version } from "uuid";
import { newId } from "../../services/shared/new-ids.js";

test("new ids - distinct UUIDv7s across many refills of the random bytes, each after the one made before it", async (t) => {
  const first = Array.from({ length: 1000 }, () => newId());
  await new Promise((resolve) => setTimeout(resolve, 2));
  const later = Array.from({ length: 1000 }, () => newId());
  const all = [...first, ...later];
  t.is(new Set(all).size, all.length);
  t.true(all.every((id) => validate(id) && version(id) === 7));
  t.deepEqual([...all].sort(), all, "each after the one made before it, within a millisecond too");
});
