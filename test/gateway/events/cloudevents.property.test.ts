// CloudEvents under generated input: any headers and body, in structured, binary or batched mode, are read as our
// events or refused with a typed error; a CloudEvent reads alike in either mode and is accepted as it was sent.
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import fc from "fast-check";
import { BATCH_TYPE, fromBinary, fromStructured, STRUCTURED_TYPE } from "../../../services/gateway/events/cloudevents.js";
import { batchEvents, singleEvent } from "../../../services/gateway/events/event-body.js";
import { eventInput } from "../../../services/gateway/events/event-input.js";
import { type DomainError, InvalidField, isDomainError } from "../../../services/shared/domain-errors.js";
import { acceptEvent } from "../../../services/shared/publishing/event-rules.js";
import type { Header } from "../../../services/shared/request-body.js";
import { outcomeOf, runs } from "../../helpers/properties.js";

// Bodies with data thousands of levels deep take a while to read: half the usual runs keep the file near a second.
const bodyRuns = { numRuns: 500 };

// What the gateway may answer a body with: a rule's error, or a 415 for a content type sent to the wrong route.
const typedRefusal = (err: unknown): err is DomainError | ConnectError =>
  isDomainError(err) || (err instanceof ConnectError && err.code === Code.InvalidArgument);

/**
 * An object nested depth levels: within the request limit, JSON deeper than the stack can write back recursively.
 * fast-check prints it as its depth, since it would overflow the stack printing a counterexample too.
 */
function nested(depth: number): JsonObject {
  const value = JSON.parse(`${'{"n":'.repeat(depth)}{}${"}".repeat(depth)}`) as JsonObject;
  return Object.defineProperty(value, fc.toStringMethod, { value: () => `<an object nested ${depth + 1} levels>` });
}

// fast-check's JSON values, typed as protobuf-es types them.
const json = (maxDepth: number) => fc.jsonValue({ maxDepth }) as fc.Arbitrary<JsonValue>;

const data = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.string(), json(3), { maxKeys: 4 }) },
  { weight: 2, arbitrary: json(3) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 50 }).map(nested) },
  { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 20_000 }).map(nested) },
);
const text = fc.oneof(fc.string(), fc.string({ unit: "binary", maxLength: 20 }));
const eventType = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), text);
const recordedTime = fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true });
const time = fc.oneof(
  { weight: 3, arbitrary: recordedTime.map((date) => date.toISOString()) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
  { weight: 1, arbitrary: text },
);
const contentType = fc.constantFrom(
  STRUCTURED_TYPE,
  BATCH_TYPE,
  "application/json",
  "Application/CloudEvents+JSON; charset=utf-8",
  "application/x+json",
  "text/plain",
  "",
);
/** An attribute: mostly of its own kind, sometimes of any JSON type, sometimes missing. */
const attribute = <T>(value: fc.Arbitrary<T>) =>
  fc.option(fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: json(1) }), { freq: 4, nil: undefined });
/** The object without the keys whose value is undefined, as JSON would have it. */
const present = (fields: Record<string, JsonValue | undefined>): JsonObject =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as JsonObject;

// A structured-mode event, well or badly formed: attributes of any type, missing, or beside others.
const structured = fc
  .tuple(
    fc.record({
      specversion: attribute(fc.constantFrom("1.0", "1.0", "0.3", "")),
      id: attribute(text),
      source: attribute(text),
      type: attribute(eventType),
      time: attribute(time),
      datacontenttype: fc.option(attribute(contentType), { nil: undefined }),
      data: fc.option(data, { freq: 4, nil: undefined }),
      data_base64: fc.option(text, { freq: 8, nil: undefined }),
      dedup_id: fc.option(attribute(text), { nil: undefined }),
      idempotency_key: fc.option(attribute(text), { nil: undefined }),
    }),
    fc.dictionary(fc.string({ maxLength: 8 }), json(1), { maxKeys: 2 }),
  )
  .map(([event, extra]): JsonValue => ({ ...extra, ...present(event) }));
// An event as our own JSON, well or badly formed.
const plain = fc
  .record({
    type: attribute(eventType),
    source: attribute(text),
    occurred_at: attribute(time),
    data: fc.option(data, { freq: 4, nil: undefined }),
    idempotency_key: fc.option(attribute(text), { nil: undefined }),
  })
  .map(present);
const body = fc.option(
  fc.oneof(
    structured,
    plain,
    data,
    fc.array(fc.oneof(structured, plain), { maxLength: 3 }),
    fc.record({ events: fc.oneof(fc.array(fc.oneof(structured, plain), { maxLength: 3 }), json(2)) }, { requiredKeys: [] }),
  ),
  { nil: undefined },
);
// Headers by lower-case name, as the gateway reads them: CloudEvents attributes in ce-*, and the others it looks at.
const headers = fc.record({
  "content-type": fc.option(fc.oneof(contentType, text), { nil: undefined }),
  "ce-specversion": fc.option(fc.oneof(fc.constantFrom("1.0", "1.0", "1.0 ", "0.3"), text), { nil: undefined }),
  "ce-id": fc.option(text, { freq: 4, nil: undefined }),
  "ce-source": fc.option(text, { freq: 4, nil: undefined }),
  "ce-type": fc.option(eventType, { freq: 4, nil: undefined }),
  "ce-time": fc.option(time, { nil: undefined }),
  "idempotency-key": fc.option(text, { freq: 4, nil: undefined }),
});
const headerOf =
  (values: Record<string, string | undefined>): Header =>
  (name) =>
    values[name];

/** The route's whole reading of one event: mode, attributes, key, then the proto input and the rules. */
function readEvent(value: JsonValue | undefined, header: Header): void {
  acceptEvent(eventInput(singleEvent(value, header)));
}

test("cloudevents - any headers and body sent to /v1/events are read as an event or refused with a typed error", (t) => {
  fc.assert(
    fc.property(headers, body, (values, value) => {
      outcomeOf(() => readEvent(value, headerOf(values)), typedRefusal);
    }),
    bodyRuns,
  );
  t.pass();
});

test("cloudevents - any headers and body sent to /v1/events/batch are read as events or refused, each on its own, with a typed error", (t) => {
  fc.assert(
    fc.property(headers, body, (values, value) => {
      const batch = outcomeOf(() => batchEvents(value, headerOf(values)), typedRefusal);
      if (batch.refused) return;
      batch.value.items.forEach((item, index) => {
        outcomeOf(() => acceptEvent(eventInput(batch.value.read(item, index), `events[${index}].`)), typedRefusal);
      });
    }),
    bodyRuns,
  );
  t.pass();
});

test("cloudevents - data of any depth a body can hold is read, or refused naming data, however the event was sent", (t) => {
  const ce = { "ce-specversion": "1.0", "ce-id": "e-1", "ce-source": "/shop", "ce-type": "order.created" };
  const event = { type: "order.created", source: "/shop" };
  const ways: Record<string, (data: JsonObject) => [Record<string, string>, JsonValue, "single" | "batch"]> = {
    plain: (data) => [{}, { ...event, data }, "single"],
    structured: (data) => [{ "content-type": STRUCTURED_TYPE }, { specversion: "1.0", id: "e-1", ...event, data }, "single"],
    binary: (data) => [ce, data, "single"],
    batch: (data) => [{}, { events: [{ ...event, data }] }, "batch"],
    cloudEventsBatch: (data) => [{ "content-type": BATCH_TYPE }, [{ specversion: "1.0", id: "e-1", ...event, data }], "batch"],
  };
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 12_000 })),
      fc.constantFrom(...Object.keys(ways)),
      (depth, way) => {
        const [values, value, route] = ways[way]!(nested(depth));
        const read = () => {
          if (route === "single") return acceptEvent(eventInput(singleEvent(value, headerOf(values))));
          const { items, read: readItem } = batchEvents(value, headerOf(values));
          return acceptEvent(eventInput(readItem(items[0]!, 0), "events[0]."));
        };
        const outcome = outcomeOf(read, typedRefusal);
        return outcome.refused ? outcome.refused instanceof InvalidField && outcome.refused.field.endsWith("data") : depth < 32;
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

// A CloudEvent as its sender means it: a type and source the rules take, any id, a time or none, an object as data.
const cloudEvent = fc.record(
  {
    id: fc.string({ minLength: 1 }),
    source: fc.string({ unit: fc.constantFrom(..."abc/:.-_0123456789"), minLength: 1, maxLength: 40 }),
    type: fc.stringMatching(/^[a-z][a-z0-9._-]{0,30}$/).filter((type) => !type.startsWith("triggers.")),
    time: recordedTime,
    data: fc.dictionary(fc.string({ maxLength: 6 }), json(3), { maxKeys: 4 }),
  },
  { requiredKeys: ["id", "source", "type"] },
);

test("cloudevents - an event reads alike in structured and binary mode, and is accepted with its attributes and data", (t) => {
  fc.assert(
    fc.property(cloudEvent, ({ id, source, type, time: at, data: sent }) => {
      const iso = at?.toISOString();
      const asStructured = fromStructured({ specversion: "1.0", id, source, type, ...(iso && { time: iso }), ...(sent && { data: sent }) });
      const ce: Record<string, string | undefined> = {
        "ce-specversion": "1.0",
        "ce-id": id,
        "ce-source": source,
        "ce-type": type,
        "ce-time": iso,
      };
      const asBinary = fromBinary(headerOf(ce), sent);
      const { event, data: accepted } = acceptEvent(eventInput(asStructured));
      return (
        JSON.stringify(asBinary) === JSON.stringify(asStructured) &&
        event.type === type &&
        event.source === source &&
        accepted === JSON.stringify(sent ?? {}) &&
        (at === undefined || Number(event.occurredAt?.seconds) * 1000 === Math.floor(at.getTime() / 1000) * 1000)
      );
    }),
    runs,
  );
  t.pass();
});

test("cloudevents - the idempotency key is the same for the same id and source, and differs when either does", (t) => {
  const key = (source: string, id: string) => fromStructured({ specversion: "1.0", id, source, type: "a" }).idempotency_key;
  fc.assert(
    fc.property(
      fc.string({ minLength: 1 }),
      fc.string({ minLength: 1 }),
      fc.string({ minLength: 1 }),
      fc.string({ minLength: 1 }),
      (s1, i1, s2, i2) => {
        // NUL parts the two in the digest; a source holding one is refused by the rules, so no two events run together.
        fc.pre(!s1.includes("\0") && !s2.includes("\0"));
        const same = s1 === s2 && i1 === i2;
        const first = key(s1, i1);
        return first === key(s1, i1) && (first === key(s2, i2)) === same && /^ce:[\w-]{43}$/.test(String(first));
      },
    ),
    runs,
  );
  t.pass();
});
