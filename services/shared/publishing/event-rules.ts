// What makes an event acceptable, and the accepted event built from a client's input.
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampNow } from "@bufbuild/protobuf/wkt";
import { type EventInput, EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import { maxDataBytes, maxDataDepth, maxSourceLength } from "../api-limits.js";
import { InvalidField, TooLarge } from "../domain-errors.js";
import { eventTypeRule, isEventType, isOperationalType, operationalTypePrefix } from "../event-types.js";
import { strictUtf8 } from "../json.js";
import { newId } from "../new-ids.js";
import type { PublishedEvent } from "../published-events.js";
import { contentDigest, requireIdempotencyKey } from "./idempotency.js";

// RFC 3339 years 0001 to 9999: what JSON clients can send, and what every consumer can store.
const minSeconds = -62_135_596_800n;
const maxSeconds = 253_402_300_799n;

// JSON writes a NUL character as the escape \u0000; one preceded by an odd number of backslashes is text, not a NUL.
const escapedNul = /(?<!\\)(?:\\\\)*\\u0000/;

/** An accepted event: the event without its data, and its data as JSON text. */
export type AcceptedEvent = Omit<PublishedEvent, "requestId">;

/**
 * Checks an event and gives it its id and received_at; throws a Connect error naming the field at fault.
 * fieldPrefix names the event inside a batch ("events[3].").
 */
export function acceptEvent(input: EventInput, fieldPrefix = ""): AcceptedEvent {
  const field = (name: string) => `${fieldPrefix}${name}`;
  if (!input.type) throw new InvalidField(field("type"), "type is required");
  if (!isEventType(input.type)) throw new InvalidField(field("type"), `type must be ${eventTypeRule}`);
  // Nobody may pass an event off as one of ours: orgs act on them (a failed delivery, a paused subscription).
  if (isOperationalType(input.type)) {
    throw new InvalidField(field("type"), `types starting with "${operationalTypePrefix}" are Triggers' own`);
  }
  if (input.source.length > maxSourceLength) {
    throw new InvalidField(field("source"), `source is longer than ${maxSourceLength} characters`);
  }
  if (input.source.includes("\0")) throw new InvalidField(field("source"), "source must not contain NUL characters");
  // Whichever way the payload came, rules about its content name it "data".
  const data = input.dataJson.length > 0 ? dataFromJson(input, field) : JSON.stringify(input.data ?? {});
  if (Buffer.byteLength(data) > maxDataBytes) throw new TooLarge(field("data"), `data is larger than ${maxDataBytes / 1024} KiB`);
  if (nestingDepth(data) > maxDataDepth) throw new InvalidField(field("data"), `data is nested deeper than ${maxDataDepth} levels`);
  // Postgres' jsonb, where the inbox keeps events, cannot hold NUL characters in strings or names.
  if (escapedNul.test(data)) throw new InvalidField(field("data"), "data must not contain NUL characters");
  const occurredAt = input.occurredAt;
  if (occurredAt && (occurredAt.seconds < minSeconds || occurredAt.seconds > maxSeconds)) {
    throw new InvalidField(field("occurred_at"), "occurred_at must be between years 0001 and 9999");
  }
  const key = input.idempotencyKey ? requireIdempotencyKey(input.idempotencyKey, field("idempotency_key")) : undefined;
  const receivedAt: Timestamp = timestampNow();
  const event = create(EventSchema, {
    id: newId(),
    type: input.type,
    source: input.source,
    occurredAt: occurredAt ?? receivedAt,
    receivedAt,
  });
  if (!key) return { event, data };
  return { event, data, idempotency: { key, digest: contentDigest(input, data) } };
}

function dataFromJson(input: EventInput, field: (name: string) => string): string {
  if (input.data) throw new InvalidField(field("data_json"), "set data or data_json, not both");
  // Checked before decoding too, so that a huge value costs nothing.
  if (input.dataJson.length > maxDataBytes) throw new TooLarge(field("data"), `data is larger than ${maxDataBytes / 1024} KiB`);
  try {
    const text = strictUtf8.decode(input.dataJson);
    if (isJsonObject(JSON.parse(text))) return text;
  } catch {
    // Reported below, like any other value that is not a JSON object.
  }
  throw new InvalidField(field("data_json"), "data_json must be a JSON object in UTF-8");
}

function isJsonObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How deeply the objects and arrays of valid JSON text nest: brackets outside strings are counted. */
function nestingDepth(json: string): number {
  // Text with few opening brackets cannot nest deeply: counting them is a native search, far cheaper than the scan.
  if (openingBrackets(json, maxDataDepth + 1) <= maxDataDepth) return 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** How many "{" and "[" the text holds, counting no further than limit. */
function openingBrackets(text: string, limit: number): number {
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let at = text.indexOf(bracket); at >= 0 && count < limit; at = text.indexOf(bracket, at + 1)) count++;
  }
  return count;
}
