// Writes accepted events to the events stream; a resolved publish means JetStream has stored the events.
import { headers } from "nats";
import type { Event } from "../../../gen/triggers/v1/event_pb.js";
import { decodePublishedEvents, encodePublishedEvents, type PublishedEvent } from "../published-events.js";
import { eventSubject } from "../streams.js";
import { messageIdOf, originalOf } from "./idempotency.js";
import type { StreamWriter } from "./stream-writer.js";

// Room left in a message for what is not an event: the org id, field tags, the protocol's own headers.
const messageOverheadBytes = 4096;
// Per event, besides its data, type and source: its id, timestamps, request id and their encoding.
const eventOverheadBytes = 256;

/** What the stream holds for a published event: the event itself, or the one first stored under its idempotency key. */
export interface StoredEvent {
  event: Event;
  duplicate: boolean;
}

/** Reads back the events stream's message of a sequence number. */
export type MessageReader = (seq: number) => Promise<Uint8Array>;

/**
 * maxMessageBytes is the server's limit on one message. An org's events are written together, in as few
 * messages as that limit allows, and each event shares the fate of its message. An event with an idempotency
 * key travels alone, under a message id JetStream stores once; a repeat is answered with the original, read back.
 */
export function createEventPublisher(writer: StreamWriter, maxMessageBytes: number, readMessage: MessageReader) {
  const budget = maxMessageBytes - messageOverheadBytes;

  async function store(orgId: string, events: PublishedEvent[]): Promise<StoredEvent[]> {
    const key = events[0]!.idempotency?.key;
    const message = encodePublishedEvents({ orgId, events });
    const ack = await writer.write(eventSubject(orgId), message, key ? messageIdHeader(orgId, key) : undefined);
    if (!ack.duplicate) return events.map(({ event }) => ({ event, duplicate: false }));
    const stored = decodePublishedEvents(await readMessage(ack.seq))?.events ?? [];
    return [{ event: originalOf(events[0]!, stored).event, duplicate: true }];
  }

  return {
    /** For each event, in order: stored, or the reason it is not. Writes run at once and are acked in a pipeline. */
    async publish(orgId: string, events: PublishedEvent[]): Promise<PromiseSettledResult<StoredEvent>[]> {
      const plain = events.filter((e) => !e.idempotency);
      const keyed = events.filter((e) => e.idempotency);
      const messages = [...split(plain, budget), ...keyed.map((e) => [e])];
      const outcomes = await Promise.allSettled(messages.map((batch) => store(orgId, batch)));
      const outcomeOf = new Map<PublishedEvent, PromiseSettledResult<StoredEvent>>();
      for (const [i, batch] of messages.entries()) {
        const outcome = outcomes[i]!;
        for (const [j, published] of batch.entries()) {
          outcomeOf.set(published, outcome.status === "fulfilled" ? { status: "fulfilled", value: outcome.value[j]! } : outcome);
        }
      }
      return events.map((published) => outcomeOf.get(published)!);
    },
  };
}

function messageIdHeader(orgId: string, key: string) {
  const header = headers();
  header.set("Nats-Msg-Id", messageIdOf(orgId, key));
  return header;
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
