// What REST clients may send as events beyond their proto JSON: CloudEvents, the Idempotency-Key header, and dedup_id for idempotency_key.
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { InvalidField } from "../../shared/domain-errors.js";
import type { Header } from "../../shared/request-body.js";
import { httpError } from "../http-errors.js";
import { isObject } from "../rest-messages.js";
import { BATCH_TYPE, batchOf, cloudEventsMode, fromBinary, fromStructured } from "./cloudevents.js";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** The body of POST /v1/events as our event's JSON, with its idempotency key where the proto has it. */
export function singleEvent(body: JsonValue | undefined, header: Header): JsonValue {
  const mode = cloudEventsMode(header("content-type"), header);
  if (mode === "batch") throw httpError(415, `send ${BATCH_TYPE} to /v1/events/batch`, Code.InvalidArgument);
  if (mode === "structured") return withKey(fromStructured(body), header(IDEMPOTENCY_KEY_HEADER));
  if (mode === "binary") return withKey(fromBinary(header, body), header(IDEMPOTENCY_KEY_HEADER));
  if (body === undefined) throw new InvalidField("", "the request body is empty: send the event as a JSON object");
  return isObject(body) ? withKey(body, header(IDEMPOTENCY_KEY_HEADER)) : body;
}

/** The events of POST /v1/events/batch, and how to read each as our event's JSON: a malformed one fails alone. */
export function batchEvents(
  body: JsonValue | undefined,
  header: Header,
): { items: JsonValue[]; read: (item: JsonValue, index: number) => JsonValue } {
  if (header(IDEMPOTENCY_KEY_HEADER) !== undefined) {
    throw new InvalidField(IDEMPOTENCY_KEY_HEADER, "a batch takes an idempotency_key in each event, not the Idempotency-Key header");
  }
  const mode = cloudEventsMode(header("content-type"), header);
  if (mode === "batch") return { items: batchOf(body), read: (item, index) => fromStructured(item, `events[${index}].`) };
  if (mode !== undefined) throw httpError(415, `send one CloudEvent to /v1/events, or a batch as ${BATCH_TYPE}`, Code.InvalidArgument);
  return { items: eventsOf(body), read: (item) => (isObject(item) ? withKey(item, undefined) : item) };
}

function eventsOf(body: JsonValue | undefined): JsonValue[] {
  if (!isObject(body)) throw new InvalidField("", 'the request body must be a JSON object: {"events": [...]}');
  const unknown = Object.keys(body).find((key) => key !== "events");
  if (unknown !== undefined) throw new InvalidField(unknown, `unknown field "${unknown}"`);
  const { events } = body;
  if (!Array.isArray(events)) throw new InvalidField("events", "events must be a list of events");
  return events;
}

function withKey(event: JsonObject, headerKey: string | undefined): JsonObject {
  // Most events carry no key, or a key where the proto has it: they go on untouched.
  const untouched = headerKey === undefined && event.dedup_id === undefined && event.idempotencyKey === undefined;
  if (untouched && event.idempotency_key !== "") return event;
  const { dedup_id: alias, ...rest } = event;
  const keys = [headerKey, alias, rest.idempotency_key ?? rest.idempotencyKey].filter((key) => key !== undefined);
  if (keys.length === 0) return event;
  if (keys.includes("")) throw new InvalidField("idempotency_key", "an idempotency key must not be empty");
  if (keys.some((key) => key !== keys[0])) {
    throw new InvalidField("idempotency_key", "the Idempotency-Key header, idempotency_key and dedup_id name different keys");
  }
  delete rest.idempotencyKey;
  return { ...rest, idempotency_key: keys[0]! };
}
