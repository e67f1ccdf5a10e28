// The spaces Postgres writes into jsonb text come out of a page; strings, escapes and every character in them stay as they were.
import test from "ava";
import { compactJsonArray } from "../../services/inbox/compact-json.js";

const utf8 = (texts: string[]) => texts.map((text) => Buffer.from(text));

test("compact JSON - Postgres's spaces between tokens come out, and the array means the same", (t) => {
  const fromPostgres = ['{"id": "a", "data": {"n": 1, "list": [1, 2.5, null, true], "empty": {}}}', ' \n\t{"id": "b", "data": {}}\r\n'];
  const compact = compactJsonArray(utf8(fromPostgres));
  t.is(compact, '[{"id":"a","data":{"n":1,"list":[1,2.5,null,true],"empty":{}}},{"id":"b","data":{}}]');
  t.deepEqual(
    JSON.parse(compact),
    fromPostgres.map((text) => JSON.parse(text)),
  );
});

test("compact JSON - spaces, quotes and backslashes inside strings are kept", (t) => {
  const text = String.raw`{"a b": "c, d: e", "q": "say \"hi\", \\", "end": "\\\\", "k": "v \" w"}`;
  t.is(compactJsonArray(utf8([text])), String.raw`[{"a b":"c, d: e","q":"say \"hi\", \\","end":"\\\\","k":"v \" w"}]`);
});

test("compact JSON - characters of several bytes come through whole", (t) => {
  const text = '{"text": "naïve \\"quoted\\" ✓ 😀", "ключ": "значение с пробелами"}';
  t.deepEqual(JSON.parse(compactJsonArray(utf8([text]))), [JSON.parse(text)]);
  t.is(compactJsonArray(utf8([text])), '[{"text":"naïve \\"quoted\\" ✓ 😀","ключ":"значение с пробелами"}]');
});

test("compact JSON - no items make an empty array, and items without spaces are kept as they are", (t) => {
  t.is(compactJsonArray([]), "[]");
  const texts = ['{"id":"a"}', '"a b"', "12345678901234567890"];
  t.is(compactJsonArray(utf8(texts)), `[${texts.join(",")}]`);
});
