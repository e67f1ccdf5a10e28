// What REST clients may write of an event beyond its proto JSON: the Idempotency-Key header and dedup_id, an alias of idempotency_key.
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { InvalidField } from "../shared/domain-errors.js";
import { isObject } from "./rest-messages.js";
import type { RestRoute } from "./rest-routes.js";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** The body with each event's key where the proto has it; the header applies to a single event's publish, which must have a body. */
export function withEventAliases(route: RestRoute, body: JsonValue | undefined, headerKey: string | undefined): JsonValue | undefined {
  if (route.method === IngestService.method.publishEvent) {
    if (body === undefined) throw new InvalidField("", "the request body is empty: send the event as a JSON object");
    return isObject(body) ? withKey(body, headerKey) : body;
  }
  if (route.method !== IngestService.method.publishEvents) return body;
  if (headerKey !== undefined) {
    throw new InvalidField(IDEMPOTENCY_KEY_HEADER, "a batch takes an idempotency_key in each event, not the Idempotency-Key header");
  }
  if (!isObject(body) || !Array.isArray(body.events)) return body;
  return { ...body, events: body.events.map((event) => (isObject(event) ? withKey(event, undefined) : event)) };
}

function withKey(event: JsonObject, headerKey: string | undefined): JsonObject {
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
