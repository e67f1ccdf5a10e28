// API keys as written: what the format holds, and what a checksum catches before any lookup.
import { crc32 } from "node:zlib";
import test from "ava";
import { base62, formatKey, keyPrefix, parseKey } from "../../services/shared/api-key.js";

const parts = { environment: "live" as const, id: "AbCdEfGh1234", secret: "s".repeat(16) + "S".repeat(16) };

test("api keys - a key reads back as the environment, id and secret it was made of", (t) => {
  const key = formatKey(parts);
  t.regex(key, /^tk_live_AbCdEfGh1234_[0-9A-Za-z]{38}$/);
  t.true(key.startsWith(keyPrefix("live", parts.id)));
  t.deepEqual(parseKey(key), parts);
  t.deepEqual(parseKey(formatKey({ ...parts, environment: "test" })), { ...parts, environment: "test" });
});

test("api keys - the checksum is the CRC-32 of all before it in six base62 digits, as a scanner would check it", (t) => {
  const key = formatKey(parts);
  let crc = crc32(key.slice(0, -6));
  let digits = "";
  for (let i = 0; i < 6; i++, crc = Math.floor(crc / 62)) digits = base62[crc % 62] + digits;
  t.is(key.slice(-6), digits);
});

test("api keys - any one character changed, dropped or added is refused", (t) => {
  const key = formatKey(parts);
  for (let i = 0; i < key.length; i++) {
    const changed = `${key.slice(0, i)}${key[i] === "x" ? "y" : "x"}${key.slice(i + 1)}`;
    t.is(parseKey(changed), undefined, changed);
    t.is(parseKey(key.slice(0, i) + key.slice(i + 1)), undefined);
  }
  t.is(parseKey(`${key}0`), undefined);
});

test("api keys - strings not shaped like a key are refused", (t) => {
  for (const text of ["", "tk_", "tk_live_", "sk_live_123", `tk_prod_${formatKey(parts).slice(8)}`, `${formatKey(parts)} `]) {
    t.is(parseKey(text), undefined, text);
  }
});
