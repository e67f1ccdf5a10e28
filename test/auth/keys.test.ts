import test from "ava";
import { newKey, parseKey, secretMatches } from "../../services/auth/keys.js";

test("keys - a new key is prefixed, embeds its id and is stored only as an argon2id hash", async (t) => {
  const key = await newKey();
  t.regex(key.key, /^tk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
  t.true(key.key.startsWith(`tk_${key.id}_`));
  t.true(key.secretHash.startsWith("$argon2id$"));
  t.false(key.secretHash.includes(key.key.slice(-32)));
});

test("keys - a key's secret matches its hash and another secret does not", async (t) => {
  const key = await newKey();
  const parsed = parseKey(key.key)!;
  t.is(parsed.id, key.id);
  t.true(await secretMatches(key.secretHash, parsed.secret));
  const other = parseKey((await newKey()).key)!;
  t.false(await secretMatches(key.secretHash, other.secret));
});

test("keys - strings not shaped like a key are not parsed", (t) => {
  for (const text of ["", "tk_", "tk_abc_def", "sk_live_123", `tk_AAAAAAAAAAAA_${"a".repeat(31)}`, `tk_AAAAAAAAAAAA_${"a".repeat(32)} `]) {
    t.is(parseKey(text), undefined, text);
  }
});
