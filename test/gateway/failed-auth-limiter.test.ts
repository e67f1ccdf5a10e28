// Failed authentications per client address: each address has its own allowance, which comes back at the limit's rate.
import test from "ava";
import { FailedAuthLimiter } from "../../services/gateway/failed-auth-limiter.js";
import { RateLimited } from "../../services/shared/domain-errors.js";

test("failed auth - an address may fail as often as the limit allows, then must wait, and others are not held up", (t) => {
  const limiter = new FailedAuthLimiter(3);
  for (let i = 0; i < 3; i++) {
    t.notThrows(() => limiter.check("198.51.100.1"));
    limiter.failed("198.51.100.1");
  }
  const err = t.throws(() => limiter.check("198.51.100.1"), { instanceOf: RateLimited });
  t.is(err?.headers["retry-after"], "20");
  t.notThrows(() => limiter.check("198.51.100.2"));
});

test("failed auth - the allowance comes back with time", async (t) => {
  const limiter = new FailedAuthLimiter(600);
  for (let i = 0; i < 600; i++) limiter.failed("198.51.100.1");
  t.throws(() => limiter.check("198.51.100.1"), { instanceOf: RateLimited });
  // 600 a minute is one every 100 ms.
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.notThrows(() => limiter.check("198.51.100.1"));
});
