// What makes an event acceptable, and the accepted event built from a client's input.
import { timestampNow, type Timestamp } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { v7 as uuidv7 } from "uuid";
import { EventSchema, type Event, type EventInput } from "../../gen/triggers/v1/event_pb.js";
import { invalidField, tooLarge } from "../shared/errors.js";

export const maxDataBytes = 256 * 1024;
const maxSourceLength = 1024;
// Types become parts of names and filters later: keep them to dotted words.
const typePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks an event and gives it its id and received_at; throws a Connect error naming the field at fault.
 * fieldPrefix names the event inside a batch ("events[3].").
 */
export function acceptEvent(input: EventInput, fieldPrefix = ""): Event {
  if (!input.type) throw invalidField(`${fieldPrefix}type`, "type is required");
  if (!typePattern.test(input.type)) {
    throw invalidField(`${fieldPrefix}type`, "type must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (input.source.length > maxSourceLength) {
    throw invalidField(`${fieldPrefix}source`, `source is longer than ${maxSourceLength} characters`);
  }
  const data = input.data ?? {};
  if (Buffer.byteLength(JSON.stringify(data)) > maxDataBytes) {
    throw tooLarge(`${fieldPrefix}data`, `data is larger than ${maxDataBytes / 1024} KiB`);
  }
  const receivedAt: Timestamp = timestampNow();
  return create(EventSchema, {
    id: uuidv7(),
    type: input.type,
    source: input.source,
    data,
    occurredAt: input.occurredAt ?? receivedAt,
    receivedAt,
  });
}
