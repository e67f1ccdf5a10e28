// Failed authentications per client address: each address has its own allowance, which comes back at the limit's rate.
import test from "ava";
import { FailedAuthLimiter } from "../../services/gateway/failed-auth-limiter.js";
import { RateLimited } from "../../services/shared/domain-errors.js";

test("failed auth - an address may fail as often as the limit allows, then must wait, and others are not held up", (t) => {
  const limiter = new FailedAuthLimiter(3);
  for (let i = 0; i < 3; i++) t.notThrows(() => limiter.attempt("198.51.100.1"));
  const err = t.throws(() => limiter.attempt("198.51.100.1"), { instanceOf: RateLimited });
  t.is(err?.retryAfterSeconds, 20);
  t.notThrows(() => limiter.attempt("198.51.100.2"));
});

test("failed auth - attempts made at once count before any is answered, and a success gives its attempt back", (t) => {
  const limiter = new FailedAuthLimiter(2);
  limiter.attempt("198.51.100.1");
  limiter.attempt("198.51.100.1");
  t.throws(() => limiter.attempt("198.51.100.1"), { instanceOf: RateLimited });
  limiter.succeeded("198.51.100.1");
  t.notThrows(() => limiter.attempt("198.51.100.1"));
});

test("failed auth - IPv6 addresses of one /64 share an allowance", (t) => {
  const limiter = new FailedAuthLimiter(2);
  limiter.attempt("2001:db8:1:2::1");
  limiter.attempt("2001:db8:1:2:ffff::9");
  t.throws(() => limiter.attempt("2001:0db8:0001:0002:0:0:0:77"), { instanceOf: RateLimited });
  t.notThrows(() => limiter.attempt("2001:db8:1:3::1"));
});

test("failed auth - the allowance comes back with time", async (t) => {
  const limiter = new FailedAuthLimiter(600);
  for (let i = 0; i < 600; i++) limiter.attempt("198.51.100.1");
  t.throws(() => limiter.attempt("198.51.100.1"), { instanceOf: RateLimited });
  // 600 a minute is one every 100 ms.
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.notThrows(() => limiter.attempt("198.51.100.1"));
});
