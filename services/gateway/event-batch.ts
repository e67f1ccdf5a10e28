// POST /v1/events/batch: each event is read on its own, so that a malformed one is reported in its place while the others are published.
import { create, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type EventInput, EventInputSchema } from "../../gen/triggers/v1/event_pb.js";
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

/**
 * The JSON answer: one result per item, in order, whether it was accepted, a duplicate, or invalid. read turns an
 * item into an event's JSON, or throws what is wrong with it.
 */
export async function publishBatch(
  forwarder: Forwarder,
  batch: { items: JsonValue[]; read: (item: JsonValue, index: number) => JsonValue },
  options: ForwardOptions,
  logger: Logger,
) {
  const results: JsonValue[] = [];
  const decoded: { index: number; event: EventInput }[] = [];
  for (const [index, item] of batch.items.entries()) {
    try {
      decoded.push({ index, event: decodeEvent(batch.read(item, index), index) });
    } catch (err) {
      results[index] = resultJson(create(PublishEventsResultSchema, { result: { case: "error", value: itemError(err, logger) } }));
    }
  }
  if (decoded.length > 0) {
    const request = create(PublishEventsRequestSchema, { events: decoded.map(({ event }) => event) });
    const response = (await forwarder.forward(IngestService.method.publishEvents, request, options)) as PublishEventsResponse;
    for (const [sentIndex, { index }] of decoded.entries()) results[index] = resultJson(renumbered(response.results[sentIndex], index));
  }
  return JSON.stringify({ results });
}

function decodeEvent(item: JsonValue, index: number): EventInput {
  const prefix = `events[${index}]`;
  if (!isObject(item)) throw new InvalidField(prefix, `${prefix} must be a JSON object`);
  return decodeJson(EventInputSchema, item, (path) => `${prefix}.${path}`);
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
