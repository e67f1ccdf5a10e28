// Reading an event's JSON as REST clients send it: its data passes as JSON text, and what is wrong is named by field.
import test from "ava";
import { eventInput } from "../../../services/gateway/events/event-input.js";
import { InvalidField } from "../../../services/shared/domain-errors.js";

function refusal(json: unknown, prefix?: string): { field: string; message: string } {
  try {
    eventInput(json as never, prefix);
  } catch (err) {
    if (err instanceof InvalidField) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("the event was read");
}

test("event input - attributes are read by proto or JSON name, and the data becomes the JSON text of the data", (t) => {
  const input = eventInput({ type: "order.created", source: "shop", data: { n: 1, tags: ["a"] }, occurred_at: "2026-01-02T03:04:05Z" });
  t.like(input, { type: "order.created", source: "shop", data: undefined });
  t.is(Buffer.from(input.dataJson).toString(), '{"n":1,"tags":["a"]}');
  t.is(input.occurredAt?.seconds, BigInt(Date.parse("2026-01-02T03:04:05Z") / 1000));
  t.is(eventInput({ type: "a", idempotencyKey: "k1" }).idempotencyKey, "k1");
});

test("event input - no data, or null data, is no data", (t) => {
  t.is(eventInput({ type: "a" }).dataJson.length, 0);
  t.is(eventInput({ type: "a", data: null }).dataJson.length, 0);
});

test("event input - a wrong type, an unknown field or data that is not an object names the field, with the batch's prefix", (t) => {
  t.is(refusal({ type: 42 }).field, "type");
  t.is(refusal({ type: "a", colour: "red" }).field, "colour");
  t.is(refusal({ type: "a", occurred_at: "yesterday" }).field, "occurred_at");
  t.is(refusal({ type: "a", data: "not an object" }).field, "data");
  t.is(refusal({ type: "a", data: [1] }, "events[2].").field, "events[2].data");
  t.is(refusal({ type: 42 }, "events[0].").field, "events[0].type");
});

test("event input - data and data_json together are refused", (t) => {
  t.is(refusal({ type: "a", data: { n: 1 }, data_json: Buffer.from("{}").toString("base64") }).field, "data_json");
});

test("event input - an event that is not an object says so, naming its place in a batch", (t) => {
  t.deepEqual(refusal("text"), { field: "", message: "the event must be a JSON object" });
  t.deepEqual(refusal([1], "events[3]."), { field: "events[3]", message: "events[3] must be a JSON object" });
});
