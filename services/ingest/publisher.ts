// Writes accepted events to the events stream; a resolved publish means JetStream has stored the events.
import { encodePublishedEvents, type PublishedEvent } from "../shared/published-events.js";
import { eventSubject } from "../shared/streams.js";
import type { StreamAck, StreamWriter } from "./stream-writer.js";

// Room left in a message for what is not an event: the org id, field tags, the protocol's own headers.
const messageOverheadBytes = 4096;
// Per event, besides its data, type and source: its id, timestamps, request id and their encoding.
const eventOverheadBytes = 256;

/**
 * maxMessageBytes is the server's limit on one message. An org's events are written together, in as few
 * messages as that limit allows, and each event shares the fate of its message.
 */
export function createEventPublisher(writer: StreamWriter, maxMessageBytes: number) {
  const budget = maxMessageBytes - messageOverheadBytes;
  return {
    /** For each event, in order: stored, or the reason it is not. Writes run at once and are acked in a pipeline. */
    async publish(orgId: string, events: PublishedEvent[]): Promise<PromiseSettledResult<StreamAck>[]> {
      const messages = split(events, budget);
      const outcomes = await Promise.allSettled(
        messages.map((batch) => writer.write(eventSubject(orgId), encodePublishedEvents({ orgId, events: batch }))),
      );
      return messages.flatMap((batch, i) => batch.map(() => outcomes[i]!));
    },
  };
}

function split(events: PublishedEvent[], budget: number): PublishedEvent[][] {
  const messages: PublishedEvent[][] = [];
  let current: PublishedEvent[] = [];
  let size = 0;
  for (const published of events) {
    const bytes = encodedSize(published);
    if (current.length > 0 && size + bytes > budget) {
      messages.push(current);
      current = [];
      size = 0;
    }
    current.push(published);
    size += bytes;
  }
  if (current.length > 0) messages.push(current);
  return messages;
}

function encodedSize({ event, data }: PublishedEvent): number {
  return Buffer.byteLength(data) + Buffer.byteLength(event.source) + event.type.length + eventOverheadBytes;
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
