// Resource ids in requests: UUIDs in any case are accepted and made canonical; anything else names the field.
import test from "ava";
import { InvalidField } from "../../services/shared/domain-errors.js";
import { requireUuid } from "../../services/shared/ids.js";

test("ids - a UUID in upper case is accepted in its canonical lower case", (t) => {
  t.is(requireUuid("01A2078B-370F-7683-BC23-7B15C61DA1B9", "id"), "01a2078b-370f-7683-bc23-7b15c61da1b9");
});

test("ids - a missing or malformed id is an invalid field named as the caller names it", (t) => {
  for (const value of ["", "42", "01a2078b-370f-7683-bc23-7b15c61da1b9' or 1=1"]) {
    const err = t.throws(() => requireUuid(value, "subscription_id"), { instanceOf: InvalidField }, value);
    t.is(err?.field, "subscription_id");
  }
});
