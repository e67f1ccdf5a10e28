import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { EventInputSchema } from "../../../gen/triggers/v1/event_pb.js";
import { maxDataBytes } from "../../../services/shared/api-limits.js";
import { InvalidField, TooLarge } from "../../../services/shared/domain-errors.js";
import { acceptEvent } from "../../../services/shared/publishing/event-rules.js";

const input = (fields: Parameters<typeof create<typeof EventInputSchema>>[1]) => create(EventInputSchema, fields);

// The rule's verdict: which kind of error, naming which field.
function errorOf(t: import("ava").ExecutionContext, fn: () => unknown): InvalidField | TooLarge {
  const err = t.throws(fn);
  if (err instanceof InvalidField || err instanceof TooLarge) return err;
  throw new Error(`expected a rule's error, got ${String(err)}`);
}

test("event rules - an accepted event gets a time-ordered id and received_at, and occurred_at defaults to it", (t) => {
  const { event: first, data: firstData } = acceptEvent(input({ type: "order.created", data: { total: 12 } }));
  const { event: second, data: secondData } = acceptEvent(input({ type: "order.created" }));
  t.regex(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.true(first.id < second.id);
  t.deepEqual(first.occurredAt, first.receivedAt);
  t.is(firstData, '{"total":12}');
  t.is(secondData, "{}");
});

test("event rules - the sender's occurred_at is kept", (t) => {
  const occurredAt = timestampFromDate(new Date("2024-01-02T03:04:05Z"));
  const { event } = acceptEvent(input({ type: "user.signed_up", occurredAt }));
  t.is(timestampDate(event.occurredAt!).toISOString(), "2024-01-02T03:04:05.000Z");
});

test("event rules - a missing or malformed type is an invalid argument naming the field", (t) => {
  for (const type of ["", " order", "order created", "a".repeat(129), "*", "order.>"]) {
    const err = errorOf(t, () => acceptEvent(input({ type })));
    t.true(err instanceof InvalidField, type);
    t.is(err.field, "type");
  }
});

test("event rules - a type starting with triggers. is ours alone: an org cannot forge our operational events", (t) => {
  const err = errorOf(t, () => acceptEvent(input({ type: "triggers.delivery.exhausted" })));
  t.is(err.field, "type");
  t.regex(err.message, /Triggers' own/);
  t.notThrows(() => acceptEvent(input({ type: "triggersomething.created" })));
});

test("event rules - data over 256 KiB is too large, and the field is named within a batch", (t) => {
  const data = { blob: "x".repeat(maxDataBytes) };
  const err = errorOf(t, () => acceptEvent(input({ type: "big", data }), "events[2]."));
  t.true(err instanceof TooLarge);
  t.is(err.field, "events[2].data");
});

test("event rules - data of exactly 256 KiB is accepted", (t) => {
  const padding = maxDataBytes - JSON.stringify({ blob: "" }).length;
  t.notThrows(() => acceptEvent(input({ type: "big", data: { blob: "x".repeat(padding) } })));
});

test("event rules - an overlong source is rejected", (t) => {
  t.is(errorOf(t, () => acceptEvent(input({ type: "a", source: "s".repeat(1025) }))).field, "source");
});

test("event rules - NUL characters in source or data are refused, as no consumer could store them", (t) => {
  const cases: Array<{ fields: Parameters<typeof input>[0]; field: string }> = [
    { fields: { type: "a", source: "sh\u0000op" }, field: "source" },
    { fields: { type: "a", data: { note: "a\u0000b" } }, field: "data" },
    { fields: { type: "a", data: { list: [{ deep: ["\u0000"] }] } }, field: "data" },
    { fields: { type: "a", data: { "na\u0000me": 1 } }, field: "data" },
  ];
  for (const { fields, field } of cases) {
    const err = errorOf(t, () => acceptEvent(input(fields)));
    t.true(err instanceof InvalidField);
    t.is(err.field, field);
  }
});

test("event rules - a backslash followed by u0000 is text, not a NUL, and is accepted", (t) => {
  const { data } = acceptEvent(input({ type: "a", data: { path: "C:\\u0000", odd: "\\\\u0000" } }));
  t.deepEqual(JSON.parse(data), { path: "C:\\u0000", odd: "\\\\u0000" });
});

test("event rules - data sent as JSON text is accepted as it is", (t) => {
  const { data } = acceptEvent(input({ type: "a", dataJson: Buffer.from('{"total": 12}') }));
  t.is(data, '{"total": 12}');
});

test("event rules - data_json that is not a JSON object in UTF-8, or beside data, is refused naming data_json", (t) => {
  const refused = [
    Buffer.from("[1, 2]"),
    Buffer.from("null"),
    Buffer.from('{"a": '),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
  ];
  for (const dataJson of refused) t.is(errorOf(t, () => acceptEvent(input({ type: "a", dataJson }))).field, "data_json");
  const both = errorOf(t, () => acceptEvent(input({ type: "a", data: { a: 1 }, dataJson: Buffer.from("{}") })));
  t.is(both.field, "data_json");
});

test("event rules - data_json over 256 KiB, or holding a NUL, is refused naming data", (t) => {
  const big = errorOf(t, () =>
    acceptEvent(input({ type: "a", dataJson: Buffer.from(JSON.stringify({ blob: "x".repeat(maxDataBytes) })) })),
  );
  t.true(big instanceof TooLarge);
  t.is(big.field, "data");
  const nul = errorOf(t, () => acceptEvent(input({ type: "a", dataJson: Buffer.from('{"a": "\\u0000"}') })));
  t.is(nul.field, "data");
});

test("event rules - occurred_at outside years 0001 to 9999 is refused", (t) => {
  for (const seconds of [253_402_300_800n, -62_135_596_801n]) {
    t.is(errorOf(t, () => acceptEvent(input({ type: "a", occurredAt: { seconds, nanos: 0 } }))).field, "occurred_at");
  }
});

test("event rules - data may nest 32 levels, not 33, however many shallow objects it holds; brackets in strings do not count", (t) => {
  const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
  const event = (data: string) => create(EventInputSchema, { type: "t", dataJson: Buffer.from(data) });
  t.notThrows(() => acceptEvent(event(nested(32))));
  t.is(errorOf(t, () => acceptEvent(event(nested(33)))).field, "data");
  t.notThrows(() => acceptEvent(event(JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i, tags: [i] })) }))));
  t.notThrows(() => acceptEvent(event(JSON.stringify({ text: "{[".repeat(100), quoted: '\\"{{{{' }))));
});
