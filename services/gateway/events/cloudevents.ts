// CloudEvents 1.0 over HTTP (structured, binary and batched modes) read as our events: id and source become the idempotency key.
import { createHash } from "node:crypto";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { InvalidField } from "../../shared/domain-errors.js";
import type { Header } from "../../shared/request-body.js";
import { isJsonMediaType, mediaTypeOf } from "../request-body.js";
import { isObject } from "../rest-messages.js";

export const STRUCTURED_TYPE = "application/cloudevents+json";
export const BATCH_TYPE = "application/cloudevents-batch+json";

/** How a request carries CloudEvents, if it does. */
export type CloudEventsMode = "structured" | "binary" | "batch" | undefined;

export function cloudEventsMode(contentType: string | undefined, header: Header): CloudEventsMode {
  const mediaType = contentType && mediaTypeOf(contentType);
  if (mediaType === STRUCTURED_TYPE) return "structured";
  if (mediaType === BATCH_TYPE) return "batch";
  return header("ce-specversion") === undefined ? undefined : "binary";
}

/** A structured-mode event (or one of a batch) as our event's JSON; fields at fault are named with the prefix. */
export function fromStructured(value: JsonValue | undefined, prefix = ""): JsonObject {
  if (!isObject(value)) throw new InvalidField(prefix, "a CloudEvent must be a JSON object");
  const field = (name: string) => `${prefix}${name}`;
  if (value.data_base64 !== undefined) throw new InvalidField(field("data_base64"), "data must be a JSON object, not binary data");
  return ourEvent((name) => stringAttribute(value[name], field(name)), field, value.data, value.datacontenttype);
}

/** A binary-mode event: attributes in ce-* headers, data in the body. */
export function fromBinary(header: Header, body: JsonValue | undefined): JsonObject {
  const field = (name: string) => `ce-${name}`;
  return ourEvent((name) => stringAttribute(header(field(name)), field(name)), field, body ?? {}, undefined);
}

/** A batched-mode body: a JSON array of structured events. */
export function batchOf(body: JsonValue | undefined): JsonValue[] {
  if (!Array.isArray(body)) throw new InvalidField("", "a CloudEvents batch must be a JSON array of events");
  return body;
}

/** Our event's JSON from a CloudEvent's attributes; field names an attribute as the client wrote it. */
function ourEvent(
  attribute: (name: string) => string | undefined,
  field: (name: string) => string,
  data: JsonValue | undefined,
  contentType: JsonValue | undefined,
): JsonObject {
  if (attribute("specversion") !== "1.0") throw new InvalidField(field("specversion"), 'specversion must be "1.0"');
  const [id, source, type] = ["id", "source", "type"].map((name) => required(attribute(name), field(name))) as [string, string, string];
  if (typeof contentType === "string" && !isJsonMediaType(contentType)) {
    throw new InvalidField(field("datacontenttype"), "data must be JSON: datacontenttype must be application/json");
  }
  const time = attribute("time");
  return { type, source, data: data ?? {}, ...(time !== undefined && { occurred_at: time }), idempotency_key: keyOf(source, id) };
}

/**
 * CloudEvents are the same event when id and source are. Our keys are printable ASCII of bounded length, which
 * neither is: the key is their digest.
 */
function keyOf(source: string, id: string): string {
  return `ce:${createHash("sha256").update(source).update("\0").update(id).digest("base64url")}`;
}

function stringAttribute(value: JsonValue | undefined, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new InvalidField(field, `${field} must be a string`);
  return value;
}

function required(value: string | undefined, field: string): string {
  if (!value) throw new InvalidField(field, `${field} is required`);
  return value;
}
