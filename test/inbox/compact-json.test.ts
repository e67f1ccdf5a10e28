// The spaces Postgres writes into jsonb text come out; strings, escapes included, stay exactly as they were.
import test from "ava";
import { compactJson } from "../../services/inbox/compact-json.js";

test("compact JSON - Postgres's spaces between tokens come out, and the text means the same", (t) => {
  const fromPostgres = '[{"id": "a", "data": {"n": 1, "list": [1, 2.5, null, true], "empty": {}}}, \n {"id": "b", "data": {}}]';
  const compact = compactJson(fromPostgres);
  t.is(compact, '[{"id":"a","data":{"n":1,"list":[1,2.5,null,true],"empty":{}}},{"id":"b","data":{}}]');
  t.deepEqual(JSON.parse(compact), JSON.parse(fromPostgres));
});

test("compact JSON - spaces, quotes and backslashes inside strings are kept", (t) => {
  const text = String.raw`{"a b": "c, d: e", "q": "say \"hi\", \\", "end": "\\\\", "k": "v \" w"}`;
  t.is(compactJson(text), String.raw`{"a b":"c, d: e","q":"say \"hi\", \\","end":"\\\\","k":"v \" w"}`);
});

test("compact JSON - text without spaces is returned as it is", (t) => {
  for (const text of ["[]", '{"id":"a"}', '"a b"', "12345678901234567890"]) t.is(compactJson(text), text);
});
