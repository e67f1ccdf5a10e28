// New keys: in the published format, of the deployment's environment, stored only as an argon2id hash of the secret.
import test from "ava";
import { newKey, secretMatches } from "../../services/auth/keys.js";
import { parseKey } from "../../services/shared/api-key.js";

test("keys - a new key is of the environment asked for, embeds its id and is stored only as an argon2id hash", async (t) => {
  const key = await newKey("live");
  t.regex(key.key, /^tk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
  t.true(key.key.startsWith(`tk_live_${key.id}_`));
  t.true(key.secretHash.startsWith("$argon2id$"));
  t.false(key.secretHash.includes(parseKey(key.key)!.secret));
  t.is(parseKey((await newKey("test")).key)?.environment, "test");
});

test("keys - a key's secret matches its hash and another secret does not", async (t) => {
  const key = await newKey("live");
  t.true(await secretMatches(key.secretHash, parseKey(key.key)!.secret));
  t.false(await secretMatches(key.secretHash, parseKey((await newKey("live")).key)!.secret));
});
