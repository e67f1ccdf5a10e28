// API keys under generated input: any string is read as a key or refused, without a lookup and without throwing.
import test from "ava";
import fc from "fast-check";
import { base62, formatKey, keyEnvironments, keyIdLength, parseKey, secretLength } from "../../services/shared/api-key.js";
import { runs } from "../helpers/properties.js";

const base62Text = (length: number) => fc.string({ unit: fc.constantFrom(...base62), minLength: length, maxLength: length });
const keyParts = fc.record({
  environment: fc.constantFrom(...keyEnvironments),
  id: base62Text(keyIdLength),
  secret: base62Text(secretLength),
});

// Strings a client might send as a key: any text, and text shaped like a key, with its parts of any length.
const keyLike = fc.oneof(
  fc.string({ unit: "binary" }),
  fc
    .tuple(fc.constantFrom("tk_", "sk_", ""), fc.constantFrom(...keyEnvironments, "prod", ""), fc.string(), fc.string())
    .map(([prefix, environment, id, rest]) => `${prefix}${environment}_${id}_${rest}`),
  // A real key with text put in at some place, replacing the character there or not.
  fc.tuple(keyParts, fc.nat(), fc.string({ unit: "binary", maxLength: 3 }), fc.boolean()).map(([parts, at, text, replace]) => {
    const key = formatKey(parts);
    const i = at % (key.length + 1);
    return key.slice(0, i) + text + key.slice(replace ? i + 1 : i);
  }),
);

test("api keys - any string is either read as a key's parts that write it again, or refused", (t) => {
  fc.assert(
    fc.property(keyLike, (text) => {
      const parsed = parseKey(text);
      return parsed === undefined || formatKey(parsed) === text;
    }),
    runs,
  );
  t.pass();
});

test("api keys - every key written reads back as its parts", (t) => {
  fc.assert(
    fc.property(keyParts, (parts) => {
      const read = parseKey(formatKey(parts));
      return read?.environment === parts.environment && read.id === parts.id && read.secret === parts.secret;
    }),
    runs,
  );
  t.pass();
});

test("api keys - a key with one character of its id, secret or checksum changed is refused", (t) => {
  fc.assert(
    fc.property(keyParts, fc.nat(), fc.constantFrom(...base62), (parts, at, replacement) => {
      const key = formatKey(parts);
      const start = `tk_${parts.environment}_`.length;
      const i = start + (at % (key.length - start));
      fc.pre(key[i] !== "_" && key[i] !== replacement);
      return parseKey(key.slice(0, i) + replacement + key.slice(i + 1)) === undefined;
    }),
    runs,
  );
  t.pass();
});
