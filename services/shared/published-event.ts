// The message on the events stream: how ingest writes an accepted event and how its consumers read it back.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PublishedEventSchema, type Event } from "../../gen/triggers/v1/event_pb.js";
import { isUuid } from "./ids.js";

export interface PublishedEvent {
  orgId: string;
  /** The event without its data. */
  event: Event;
  /** The event's data as JSON text, stored and delivered as it is. */
  data: string;
}

export function encodePublishedEvent({ orgId, event, data }: PublishedEvent): Uint8Array {
  return toBinary(PublishedEventSchema, create(PublishedEventSchema, { orgId, event, dataJson: Buffer.from(data) }));
}

/** The event in a stream message, or undefined when the message is not one ingest could have written. */
export function decodePublishedEvent(message: Uint8Array): PublishedEvent | undefined {
  try {
    const { orgId, event, dataJson } = fromBinary(PublishedEventSchema, message);
    if (!event || !isUuid(orgId) || !isUuid(event.id) || !event.occurredAt || !event.receivedAt) return undefined;
    const data = Buffer.from(dataJson.buffer, dataJson.byteOffset, dataJson.byteLength).toString();
    return data.startsWith("{") ? { orgId, event, data } : undefined;
  } catch {
    return undefined;
  }
}
