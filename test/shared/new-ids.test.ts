// New ids: UUIDv7s, all distinct, ordered by the millisecond they were made in, past the random bytes drawn in bulk.
import test from "ava";
import { validate, version } from "uuid";
import { newId } from "../../services/shared/new-ids.js";

test("new ids - distinct UUIDv7s across many refills of the random bytes, ordered by the millisecond they were made in", async (t) => {
  const first = Array.from({ length: 1000 }, () => newId());
  await new Promise((resolve) => setTimeout(resolve, 2));
  const later = Array.from({ length: 1000 }, () => newId());
  const all = [...first, ...later];
  t.is(new Set(all).size, all.length);
  t.true(all.every((id) => validate(id) && version(id) === 7));
  const millisecond = (id: string) => id.replaceAll("-", "").slice(0, 12);
  t.true(first.every((id) => later.every((next) => millisecond(id) < millisecond(next))));
});
