// The CLI's parts without I/O, in memory: where its files live, a key's prefix, option values, events read from JSON, type patterns, tables, the progress bar, webhook signatures.
import test from "ava";
import { Webhook } from "standardwebhooks";
import { configDirOf } from "../../cli/src/config-files.js";
import { keyPrefixOf } from "../../cli/src/connection.js";
import { InvalidEvent, parseData, parseEvent } from "../../cli/src/event-input.js";
import { integerIn, listValue, timeValue, urlValue } from "../../cli/src/option-values.js";
import { progressBar } from "../../cli/src/progress-bar.js";
import { fieldList, table } from "../../cli/src/table.js";
import { matchesTypes } from "../../cli/src/type-patterns.js";
import { newSigningSecret, webhookHeaders } from "../../cli/src/webhook-signing.js";

test("cli - a time is RFC 3339 or how long ago; numbers, lists and URLs are checked before anything is sent", (t) => {
  const now = Date.parse("2026-12-05T12:00:00Z");
  t.is(timeValue("15m", now).toISOString(), "2026-12-05T11:45:00.000Z");
  t.is(timeValue("2h", now).toISOString(), "2026-12-05T10:00:00.000Z");
  t.is(timeValue("7d", now).toISOString(), "2026-11-28T12:00:00.000Z");
  t.is(timeValue("2026-12-01T00:00:00Z").toISOString(), "2026-12-01T00:00:00.000Z");
  t.is(timeValue("2026-12-01").toISOString(), "2026-12-01T00:00:00.000Z");
  for (const bad of ["yesterday", "15", "-1h", "12/01/2026", "2026-13-45"]) t.throws(() => timeValue(bad), { message: /RFC 3339/ }, bad);
  t.is(integerIn(1, 30)("30"), 30);
  for (const bad of ["0", "31", "1.5", "x", ""]) t.throws(() => integerIn(1, 30)(bad), { message: /from 1 to 30/ }, bad);
  t.deepEqual(listValue("order.*, user.created", listValue("a", undefined)), ["a", "order.*", "user.created"]);
  t.is(urlValue("http://localhost:3000/hook"), "http://localhost:3000/hook");
  for (const bad of ["localhost:3000", "ftp://x", "not a url"]) t.throws(() => urlValue(bad), { message: /http or https URL/ }, bad);
});

test("cli - an event read from JSON has the REST API's fields; a misspelt field or a wrong type is refused naming it", (t) => {
  t.deepEqual(parseEvent('{"type": "a", "source": "s", "data": {"n": 1}, "occurred_at": "2026-12-01T00:00:00Z", "idempotency_key": "k"}'), {
    type: "a",
    source: "s",
    data: { n: 1 },
    occurredAt: "2026-12-01T00:00:00Z",
    idempotencyKey: "k",
  });
  const refusals: Array<[string, RegExp]> = [
    ["{", /^not JSON: /],
    ["[1]", /^not a JSON object/],
    ['{"type": "a", "occured_at": "x"}', /^unknown field occured_at: an event has type, source, data, occurred_at, idempotency_key$/],
    ['{"data": {}}', /^type is missing/],
    ['{"type": "a", "data": [1]}', /^data is not a JSON object$/],
    ['{"type": "a", "occurred_at": "soon"}', /^occurred_at is not an RFC 3339 time$/],
    ['{"type": "a", "idempotency_key": 7}', /^idempotency_key is not a string$/],
  ];
  for (const [text, reason] of refusals) t.throws(() => parseEvent(text), { instanceOf: InvalidEvent, message: reason }, text);
  t.deepEqual(parseData('{"order_id": 42}'), { order_id: 42 });
  t.throws(() => parseData("42"), { instanceOf: InvalidEvent });
});

test("cli - type patterns take exact types and every type under a prefix.*, and everything when there are none", (t) => {
  t.true(matchesTypes([], "anything"));
  t.true(matchesTypes(["order.*"], "order.created"));
  t.true(matchesTypes(["order.*"], "order.item.added"));
  t.false(matchesTypes(["order.*"], "orders.created"));
  t.false(matchesTypes(["order.*"], "order"));
  t.true(matchesTypes(["order.*", "user.created"], "user.created"));
  t.false(matchesTypes(["user.created"], "user.created.v2"));
});

test("cli - a table aligns its columns under the header and cuts long cells; a field list aligns its values", (t) => {
  const text = table(
    [{ title: "ID" }, { title: "DATA", max: 8 }, { title: "LAST" }],
    [
      ["a", '{"long":"value"}', "x"],
      ["bbbb", "{}", "y"],
    ],
  );
  t.is(text, ["ID    DATA      LAST", 'a     {"long"…  x', "bbbb  {}        y"].join("\n"));
  t.is(
    fieldList([
      ["id", "1"],
      ["type", "order.created"],
    ]),
    "id    1\ntype  order.created",
  );
});

test("cli - the progress bar fills as lines are done and tells the events sent a second", (t) => {
  t.is(progressBar({ done: 0, total: 100, events: 0, elapsedMs: 0 }, 80), `[${".".repeat(40)}] 0/100 lines  0 events/s`);
  t.is(
    progressBar({ done: 5000, total: 10_000, events: 5000, elapsedMs: 2000 }, 80),
    `[${"#".repeat(20)}${".".repeat(20)}] 5,000/10,000 lines  2,500 events/s`,
  );
  t.is(
    progressBar({ done: 1, total: 1, events: 1, elapsedMs: 1000 }, 30),
    `[${"#".repeat(10)}] 1/1 lines  1 events/s`,
    "at least ten wide",
  );
});

test("cli - listen's signatures verify with the Standard Webhooks library under the secret it made", (t) => {
  const secret = newSigningSecret();
  t.regex(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const body = JSON.stringify({ id: "01a244cb-8eab-7742-a34a-c207cdd2484d", type: "order.created" });
  const headers = webhookHeaders(secret, "01a244cb-8eab-7742-a34a-c207cdd2484d", body);
  t.deepEqual(Object.keys(headers), ["webhook-id", "webhook-timestamp", "webhook-signature"]);
  t.like(new Webhook(secret).verify(body, headers), { type: "order.created" });
  t.throws(() => new Webhook(newSigningSecret()).verify(body, headers), undefined, "another secret does not verify");
});

test("cli - the config folder is --config-dir, else TRIGGERS_CONFIG_DIR, else XDG_CONFIG_HOME/triggers, else ~/.config/triggers", (t) => {
  t.is(configDirOf("/a", { TRIGGERS_CONFIG_DIR: "/b", XDG_CONFIG_HOME: "/c" }), "/a");
  t.is(configDirOf(undefined, { TRIGGERS_CONFIG_DIR: "/b", XDG_CONFIG_HOME: "/c" }), "/b");
  t.is(configDirOf(undefined, { XDG_CONFIG_HOME: "/c" }), "/c/triggers");
  t.regex(configDirOf(undefined, {}), /\/\.config\/triggers$/);
});

test("cli - a key's prefix is all before its secret, and nothing of a key of another shape", (t) => {
  t.is(keyPrefixOf("tk_live_5hQz8Rk2LmNp_0123456789abcdefABCDEF0123456789abcdef"), "tk_live_5hQz8Rk2LmNp");
  t.is(keyPrefixOf("sk_test_1234"), undefined);
  t.is(keyPrefixOf("secret"), undefined);
});
