// The database npm start picks on the machine's Postgres, and how the banner names it.
import test from "ava";
import { checkoutDatabase } from "../../tools/stack/checkout-database.js";
import { readyBanner } from "../../tools/stack/ready-banner.js";
import { generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";

test("checkout database - named after the checkout's folder and its signing key, the same at every start", (t) => {
  const key = generateSigningSecretsKey();
  const name = checkoutDatabase("/home/ada/src/triggers", key);
  t.regex(name, /^triggers_triggers_[0-9a-f]{8}$/);
  t.is(checkoutDatabase("/home/ada/src/triggers", key), name);
});

test("checkout database - a second checkout, or a new signing key after .data was wiped, gets another database", (t) => {
  const key = generateSigningSecretsKey();
  const first = checkoutDatabase("/home/ada/src/triggers", key);
  t.not(checkoutDatabase("/home/ada/src/triggers-review", key), first);
  t.not(checkoutDatabase("/home/ada/src/triggers", generateSigningSecretsKey()), first);
});

test("checkout database - any folder name becomes a short, plain Postgres identifier", (t) => {
  const name = checkoutDatabase(`/tmp/Ünïcode Földer-${"x".repeat(80)}`, generateSigningSecretsKey());
  t.regex(name, /^triggers_[a-z0-9_]+_[0-9a-f]{8}$/);
  t.true(name.length <= 63);
  t.regex(checkoutDatabase("/", generateSigningSecretsKey()), /^triggers_checkout_[0-9a-f]{8}$/);
});

test("ready banner - names the database and whether it held orgs before this start, and where the reference is", (t) => {
  const banner = (orgs: number) =>
    readyBanner({
      gatewayUrl: "http://127.0.0.1:8080",
      adminToken: "ta_x",
      database: { name: "triggers_main_1a2b3c4d", server: "127.0.0.1:5432", orgs },
    });
  t.regex(banner(0), /database: +triggers_main_1a2b3c4d on 127\.0\.0\.1:5432 \(no orgs before this start\)/);
  t.regex(banner(3), /database: +triggers_main_1a2b3c4d on 127\.0\.0\.1:5432 \(kept from earlier runs, 3 orgs\)/);
  t.regex(banner(0), /reference: +http:\/\/127\.0\.0\.1:8080\/docs$/m);
});
