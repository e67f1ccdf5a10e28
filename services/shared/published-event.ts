// The message on the events stream: how ingest writes an accepted event and how its consumers read it back.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PublishedEventSchema, type Event } from "../../gen/triggers/v1/event_pb.js";
import { isUuid } from "./ids.js";

export interface PublishedEvent {
  orgId: string;
  event: Event;
}

export function encodePublishedEvent({ orgId, event }: PublishedEvent): Uint8Array {
  return toBinary(PublishedEventSchema, create(PublishedEventSchema, { orgId, event }));
}

/** The event in a stream message, or undefined when the message is not one ingest could have written. */
export function decodePublishedEvent(data: Uint8Array): PublishedEvent | undefined {
  try {
    const { orgId, event } = fromBinary(PublishedEventSchema, data);
    if (!event || !isUuid(orgId) || !isUuid(event.id) || !event.occurredAt || !event.receivedAt) return undefined;
    return { orgId, event };
  } catch {
    return undefined;
  }
}
