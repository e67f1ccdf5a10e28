// Delivery's settings: the retry schedule, the networks webhooks may reach and the signing secrets key, read once and refused when malformed.
import test from "ava";
import { loadDeliveryConfig } from "../../services/delivery/config.js";
import { ConfigError } from "../../services/shared/config.js";

// The one setting without a default.
const required = { SIGNING_SECRETS_KEY: Buffer.alloc(32, 7).toString("base64") };

test("delivery config - the default schedule makes eight attempts over more than a day", (t) => {
  const { retrySchedule } = loadDeliveryConfig(required);
  t.is(retrySchedule.length + 1, 8);
  t.true(retrySchedule.reduce((sum, wait) => sum + wait, 0) > 24 * 60 * 60 * 1000);
});

test("delivery config - a schedule is read in ms, s, m, h and d, and anything else is refused naming the setting", (t) => {
  t.deepEqual(
    loadDeliveryConfig({ ...required, DELIVERY_RETRY_SCHEDULE: "250ms, 5s,2m,1h,1d" }).retrySchedule,
    [250, 5_000, 120_000, 3_600_000, 86_400_000],
  );
  for (const schedule of ["5", "5s,,5s", "-5s", "5 minutes", "1.5s"]) {
    const err = t.throws(
      () => loadDeliveryConfig({ ...required, DELIVERY_RETRY_SCHEDULE: schedule }),
      { instanceOf: ConfigError },
      schedule,
    );
    t.true(err!.message.startsWith("DELIVERY_RETRY_SCHEDULE:"), err!.message);
  }
});

test("delivery config - allowed networks are CIDRs, none by default", (t) => {
  t.deepEqual(loadDeliveryConfig(required).allowedNetworks, []);
  t.deepEqual(loadDeliveryConfig({ ...required, DELIVERY_ALLOWED_NETWORKS: "127.0.0.0/8, ::1/128, 10.1.2.3" }).allowedNetworks, [
    "127.0.0.0/8",
    "::1/128",
    "10.1.2.3/32",
  ]);
  for (const networks of ["localhost", "10.0.0.0/33", "::1/129"]) {
    t.throws(() => loadDeliveryConfig({ ...required, DELIVERY_ALLOWED_NETWORKS: networks }), { instanceOf: ConfigError }, networks);
  }
});

test("delivery config - the signing secrets key is required, and must be 32 bytes in base64", (t) => {
  t.deepEqual(loadDeliveryConfig(required).signingSecretsKey, Buffer.alloc(32, 7));
  for (const key of [undefined, "", Buffer.alloc(16).toString("base64"), "not base64 at all!"]) {
    const err = t.throws(() => loadDeliveryConfig({ SIGNING_SECRETS_KEY: key }), { instanceOf: ConfigError }, String(key));
    t.regex(err!.message, /^SIGNING_SECRETS_KEY: expected 32 random bytes in base64/);
  }
});
