// The page size rule every paged listing applies to its request's limit.
import test from "ava";
import { pageSize } from "../../services/shared/page-size.js";

const page = { default: 20, max: 100 };

test("page size - no limit asked for is the page's default; one within bounds is kept", (t) => {
  t.is(pageSize(0, page), 20);
  t.is(pageSize(1, page), 1);
  t.is(pageSize(100, page), 100);
});

test("page size - a limit below 0 or over the max is refused, naming limit and its bounds", (t) => {
  for (const limit of [-1, 101]) {
    t.throws(() => pageSize(limit, page), { message: "limit must be from 1 to 100" });
  }
});
