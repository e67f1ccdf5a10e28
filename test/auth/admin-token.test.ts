import test from "ava";
import { isAdminToken } from "../../services/auth/admin-token.js";

test("admin token - only the configured token is accepted", (t) => {
  t.true(isAdminToken("s3cret-token", "s3cret-token"));
  t.false(isAdminToken("s3cret-token", "s3cret-tokem"));
  t.false(isAdminToken("s3cret-token", "s3cret"));
  t.false(isAdminToken("s3cret-token", undefined));
});

test("admin token - when none is configured, nothing is accepted", (t) => {
  t.false(isAdminToken(undefined, ""));
  t.false(isAdminToken(undefined, "anything"));
});
