// Delivery's settings: the retry schedule, the networks webhooks may reach and the signing secrets keys, read once and refused when malformed.
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

test("delivery config - the signing secrets key is required, and must be 32 bytes in base64: alone, it is key 0", (t) => {
  t.deepEqual(loadDeliveryConfig(required).signingSecretsKeys, [{ id: "0", key: Buffer.alloc(32, 7) }]);
  for (const key of [undefined, "", Buffer.alloc(16).toString("base64"), "not base64 at all!"]) {
    const err = t.throws(() => loadDeliveryConfig({ SIGNING_SECRETS_KEY: key }), { instanceOf: ConfigError }, String(key));
    t.regex(err!.message, /^SIGNING_SECRETS_KEY: expected 32 random bytes in base64/);
  }
});

const keyOf = (fill: number) => Buffer.alloc(32, fill);
const entry = (id: string, fill: number) => `${id}:${keyOf(fill).toString("base64")}`;

test("delivery config - SIGNING_SECRETS_KEYS lists keys with ids in order, the first sealing; SIGNING_SECRETS_KEY joins as key 0", (t) => {
  const keys = loadDeliveryConfig({ SIGNING_SECRETS_KEYS: ` ${entry("2026-12", 1)}, ${entry("b_1.x", 2)}\n` }).signingSecretsKeys;
  t.deepEqual(keys, [
    { id: "2026-12", key: keyOf(1) },
    { id: "b_1.x", key: keyOf(2) },
  ]);
  // Today's deployments add the new key beside SIGNING_SECRETS_KEY, which keeps opening what it sealed.
  t.deepEqual(loadDeliveryConfig({ ...required, SIGNING_SECRETS_KEYS: entry("2026-12", 1) }).signingSecretsKeys, [
    { id: "2026-12", key: keyOf(1) },
    { id: "0", key: keyOf(7) },
  ]);
  // Listed as key 0 as well, it keeps its place: here the one that seals, the new key only opening.
  t.deepEqual(loadDeliveryConfig({ ...required, SIGNING_SECRETS_KEYS: `${entry("0", 7)},${entry("2026-12", 1)}` }).signingSecretsKeys, [
    { id: "0", key: keyOf(7) },
    { id: "2026-12", key: keyOf(1) },
  ]);
});

test("delivery config - a malformed keyring is refused naming the variable and the entry, never quoting a key", (t) => {
  const secretText = keyOf(9).toString("base64");
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ SIGNING_SECRETS_KEYS: secretText }, /^SIGNING_SECRETS_KEYS: entry 1 is not <id>:<key>/],
    [{ SIGNING_SECRETS_KEYS: `${entry("a", 1)},,${entry("b", 2)}` }, /^SIGNING_SECRETS_KEYS: entry 2 is not <id>:<key>/],
    [{ SIGNING_SECRETS_KEYS: `a b:${secretText}` }, /^SIGNING_SECRETS_KEYS: entry 1 is not <id>:<key>/],
    [{ SIGNING_SECRETS_KEYS: `${"x".repeat(33)}:${secretText}` }, /^SIGNING_SECRETS_KEYS: entry 1 is not <id>:<key>/],
    [
      { SIGNING_SECRETS_KEYS: `a:${keyOf(1).subarray(16).toString("base64")}` },
      /^SIGNING_SECRETS_KEYS: key a: expected 32 random bytes in base64/,
    ],
    [{ SIGNING_SECRETS_KEYS: `a:${secretText}x` }, /^SIGNING_SECRETS_KEYS: key a: expected 32 random bytes/],
    [{ SIGNING_SECRETS_KEYS: `${entry("a", 1)},${entry("a", 2)}` }, /^SIGNING_SECRETS_KEYS: key a is listed twice/],
    [{ SIGNING_SECRETS_KEYS: `${entry("a", 1)},${entry("b", 1)}` }, /^SIGNING_SECRETS_KEYS: keys a and b are the same key/],
    [{ ...required, SIGNING_SECRETS_KEYS: entry("0", 1) }, /^SIGNING_SECRETS_KEY: is key 0, and SIGNING_SECRETS_KEYS lists another key 0/],
    [
      { ...required, SIGNING_SECRETS_KEYS: entry("a", 7) },
      /^SIGNING_SECRETS_KEY: is key 0, and SIGNING_SECRETS_KEYS lists the same key as a/,
    ],
    [{ SIGNING_SECRETS_KEYS: " " }, /^SIGNING_SECRETS_KEY: expected 32 random bytes in base64.*or SIGNING_SECRETS_KEYS/],
  ];
  for (const [env, message] of cases) {
    const err = t.throws(() => loadDeliveryConfig(env), { instanceOf: ConfigError, message }, JSON.stringify(env));
    t.false(err!.message.includes(secretText), err!.message);
    t.false(err!.message.includes(keyOf(1).toString("base64")), err!.message);
  }
});
