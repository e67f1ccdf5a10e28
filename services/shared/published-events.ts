// The message on the events stream: how ingest writes the events it accepted and how its consumers read them back.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Event, PublishedEventsSchema } from "../../gen/triggers/v1/event_pb.js";
import { isUuid } from "./ids.js";

export interface PublishedEvent {
  /** The event without its data. */
  event: Event;
  /** The event's data as JSON text, stored and delivered as it is. */
  data: string;
  /** The request id it was published with; empty when unknown. */
  requestId: string;
  /** The client's idempotency key, and the digest of what it sent with it: a repeat of the key is checked against it. */
  idempotency?: Idempotency;
}

export interface Idempotency {
  key: string;
  digest: Uint8Array;
}

/** The events of one stream message: one org's, in the order ingest accepted them. */
export interface PublishedEvents {
  orgId: string;
  events: PublishedEvent[];
}

export function encodePublishedEvents({ orgId, events }: PublishedEvents): Uint8Array {
  const message = create(PublishedEventsSchema, {
    orgId,
    events: events.map(({ event, data, requestId, idempotency }) => ({
      event,
      dataJson: Buffer.from(data),
      requestId,
      idempotencyKey: idempotency?.key,
      contentDigest: idempotency?.digest,
    })),
  });
  return toBinary(PublishedEventsSchema, message);
}

/** The events of a stream message, or undefined when the message is not one ingest could have written. */
export function decodePublishedEvents(message: Uint8Array): PublishedEvents | undefined {
  try {
    const { orgId, events } = fromBinary(PublishedEventsSchema, message);
    if (!isUuid(orgId) || events.length === 0) return undefined;
    const decoded: PublishedEvent[] = [];
    for (const { event, dataJson, requestId, idempotencyKey, contentDigest } of events) {
      if (!event || !isUuid(event.id) || !event.occurredAt || !event.receivedAt) return undefined;
      const data = Buffer.from(dataJson.buffer, dataJson.byteOffset, dataJson.byteLength).toString();
      if (!data.startsWith("{")) return undefined;
      const idempotency = idempotencyKey ? { key: idempotencyKey, digest: contentDigest } : undefined;
      decoded.push({ event, data, requestId, ...(idempotency && { idempotency }) });
    }
    return { orgId, events: decoded };
  } catch {
    return undefined;
  }
}
