// POST /v1/events/batch: each event is read on its own, so that a malformed one is reported in its place while the others are published.
import { create, type JsonObject, type JsonValue, toJson } from "@bufbuild/protobuf";
import { EventInputSchema } from "../../gen/triggers/v1/event_pb.js";
import {
  IngestService,
  PublishEventsRequestSchema,
  type PublishEventsResponse,
  type PublishEventsResult,
  PublishEventsResultSchema,
} from "../../gen/triggers/v1/ingest_pb.js";
import { InvalidField } from "../shared/domain-errors.js";
import { itemError } from "../shared/errors.js";
import { apiJson } from "../shared/json.js";
import type { Logger } from "../shared/logger.js";
import type { Forwarder, ForwardOptions } from "./forwarder.js";
import { decodeJson, isObject } from "./rest-messages.js";

// Ingest's own limit, checked here too so that an oversized batch is refused before a thousand events are decoded.
const maxEvents = 1000;

/** The JSON answer: one result per event, in order, whether it was accepted, a duplicate, or invalid. */
export async function publishBatch(forwarder: Forwarder, body: JsonValue | undefined, options: ForwardOptions, logger: Logger) {
  const results: JsonValue[] = [];
  const decoded: { index: number; event: ReturnType<typeof decodeEvent> }[] = [];
  eventsOf(body).forEach((item, index) => {
    try {
      decoded.push({ index, event: decodeEvent(item, index) });
    } catch (err) {
      results[index] = resultJson(create(PublishEventsResultSchema, { result: { case: "error", value: itemError(err, logger) } }));
    }
  });
  if (decoded.length > 0) {
    const request = create(PublishEventsRequestSchema, { events: decoded.map(({ event }) => event) });
    const response = (await forwarder.forward(IngestService.method.publishEvents, request, options)) as PublishEventsResponse;
    decoded.forEach(({ index }, sentIndex) => {
      results[index] = resultJson(renumbered(response.results[sentIndex], index));
    });
  }
  return JSON.stringify({ results });
}

function eventsOf(body: JsonValue | undefined): JsonValue[] {
  if (!isObject(body)) throw new InvalidField("", 'the request body must be a JSON object: {"events": [...]}');
  const unknown = Object.keys(body).find((key) => key !== "events");
  if (unknown !== undefined) throw new InvalidField(unknown, `unknown field "${unknown}"`);
  const { events } = body;
  if (!Array.isArray(events) || events.length === 0) throw new InvalidField("events", "events must be a list of at least one event");
  if (events.length > maxEvents) throw new InvalidField("events", `events holds more than ${maxEvents} events`);
  return events;
}

function decodeEvent(item: JsonValue, index: number) {
  const prefix = `events[${index}]`;
  if (!isObject(item)) throw new InvalidField(prefix, `${prefix} must be a JSON object`);
  return decodeJson(EventInputSchema, item as JsonObject, (path) => `${prefix}.${path}`);
}

// Ingest numbered the events it was sent; the client numbers them as it sent them, malformed ones included.
function renumbered(result: PublishEventsResult | undefined, index: number): PublishEventsResult {
  if (!result) throw new Error("ingest gave no result for an event");
  const info = result.result.case === "error" ? result.result.value.info : undefined;
  if (info) info.field = info.field.replace(/^events\[\d+\]/, `events[${index}]`);
  return result;
}

function resultJson(result: PublishEventsResult): JsonValue {
  return toJson(PublishEventsResultSchema, result, apiJson);
}
