// Reading an event written as JSON (a line of a file, or stdin) in the REST API's shape: type, source, data, occurred_at, idempotency_key.
import type { JsonObject } from "@bufbuild/protobuf";
import type { EventInit } from "../../sdk/src/index.js";

const fields = new Set(["type", "source", "data", "occurred_at", "idempotency_key"]);

/** Why a JSON value is not an event; the API's own rules (a type's characters, data's size) are left to the API. */
export class InvalidEvent extends Error {
  override readonly name = "InvalidEvent";
}

export function parseEvent(text: string): EventInit {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidEvent(`not JSON: ${(err as Error).message}`);
  }
  return eventOf(value);
}

function eventOf(value: unknown): EventInit {
  if (!isObject(value)) throw new InvalidEvent('not a JSON object such as {"type": "order.created", "data": {...}}');
  // A misspelt field would be dropped without a word otherwise: occured_at, event_type.
  const unknown = Object.keys(value).find((key) => !fields.has(key));
  if (unknown !== undefined) throw new InvalidEvent(`unknown field ${unknown}: an event has ${[...fields].join(", ")}`);
  const { type, source, data, occurred_at: occurredAt, idempotency_key: idempotencyKey } = value;
  if (typeof type !== "string") throw new InvalidEvent("type is missing or not a string");
  if (source !== undefined && typeof source !== "string") throw new InvalidEvent("source is not a string");
  if (data !== undefined && !isObject(data)) throw new InvalidEvent("data is not a JSON object");
  if (occurredAt !== undefined && typeof occurredAt !== "string") throw new InvalidEvent("occurred_at is not an RFC 3339 time");
  if (idempotencyKey !== undefined && typeof idempotencyKey !== "string") throw new InvalidEvent("idempotency_key is not a string");
  if (occurredAt !== undefined && Number.isNaN(Date.parse(occurredAt))) throw new InvalidEvent("occurred_at is not an RFC 3339 time");
  return { type, source, data, occurredAt, idempotencyKey };
}

/** --data's value: a JSON object. */
export function parseData(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidEvent(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new InvalidEvent('not a JSON object such as {"order_id": 42}');
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
