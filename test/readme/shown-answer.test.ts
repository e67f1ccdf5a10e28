// Answers against the README's shown ones: ids and times masked, `...` for more, and anything else exactly.
import test from "ava";
import { isErrorBody, matchesShown } from "./shown-answer.js";

const answer =
  '{"id":"01a244cb-6232-7011-947d-88e7db7047a4","received_at":"2026-12-05T06:01:49.362Z","status":"EVENT_STATUS_ACCEPTED","duplicate":false}';

test("shown answer - ids and times match whatever the README shows for them, or `...`", (t) => {
  t.true(matchesShown(answer, '{"id":"...","received_at":"...","status":"EVENT_STATUS_ACCEPTED","duplicate":false}'));
  t.true(
    matchesShown(
      answer,
      '{"id":"0193a0c4-5b7e-7d2a-9f31-2c4e8b1d6a07","received_at":"2026-01-01T00:00:00Z","status":"EVENT_STATUS_ACCEPTED","duplicate":false}',
    ),
  );
});

test("shown answer - any other difference fails, a value, a field or a space", (t) => {
  t.false(matchesShown(answer, '{"id":"...","received_at":"...","status":"EVENT_STATUS_ACCEPTED","duplicate":true}'));
  t.false(matchesShown(answer, '{"id":"...","received_at":"...","status":"EVENT_STATUS_ACCEPTED"}'));
  t.false(
    matchesShown(answer.replace('"id":', '"id": '), '{"id":"...","received_at":"...","status":"EVENT_STATUS_ACCEPTED","duplicate":false}'),
  );
  t.false(matchesShown("", "{}"));
});

test("shown answer - `...` ending a string is the rest of that string only; elsewhere it is any text", (t) => {
  const key = '{"secret":"tk_test_abc_def","name":"first key"}';
  t.true(matchesShown(key, '{"secret":"tk_test_...","name":"first key"}'));
  t.false(matchesShown(key, '{"secret":"tk_live_...","name":"first key"}'));
  t.false(matchesShown(key, '{"secret":"..."}'), "a string's `...` never runs into the next field");
  t.true(matchesShown(key, '{"secret":"tk_test_...",...}'));
  t.true(matchesShown('{"events":[{"id":"a"},{"id":"b"}],"has_more":false}', '{"events":[{"id":"a"},...],"has_more":false}'));
});

test("shown answer - an answer over lines matches the README's lines joined", (t) => {
  t.true(matchesShown('{"a":1,\n  "b":2}\n', '{"a":1,"b":2}'));
});

test("shown answer - an API error body is told from an answer holding an error", (t) => {
  t.true(isErrorBody('{"code":"invalid_argument","message":"bad","request_id":"x"}'));
  t.false(isErrorBody('{"results":[{"error":{"code":"invalid_argument","message":"bad"}}]}'));
  t.false(isErrorBody("triggers.v1.InboxService/ListInbox"));
  t.false(isErrorBody(""));
});
