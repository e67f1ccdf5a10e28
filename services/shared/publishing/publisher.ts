// Writes accepted events to the events stream; a resolved publish means JetStream has stored the events.
import { setTimeout } from "node:timers/promises";
import { ErrorCode, headers, type MsgHdrs } from "nats";
import type { Event } from "../../../gen/triggers/v1/event_pb.js";
import { decodePublishedEvents, encodePublishedEvents, type PublishedEvent } from "../published-events.js";
import { eventSubject } from "../streams.js";
import { messageIdOf, originalOf } from "./idempotency.js";
import { type StreamAck, StreamWriteError, type StreamWriter } from "./stream-writer.js";

// Room left in a message for what is not an event: the org id, field tags, the protocol's own headers.
const messageOverheadBytes = 4096;
// Per event, besides its data, type and source: its id, timestamps, request id and their encoding.
const eventOverheadBytes = 256;

// How long to wait before each new ask for an original's sequence: replication takes milliseconds, a leader's
// election seconds; after these, some 3 s in all, the client is told to retry (unavailable).
const unknownOriginalAsks = [10, 20, 40, 80, 160, 320, 640, 1280];

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
    const ack = await writeKnown(eventSubject(orgId), message, key ? messageIdHeader(orgId, key) : undefined);
    if (!ack.duplicate) return events.map(({ event }) => ({ event, duplicate: false }));
    const stored = decodePublishedEvents(await readMessage(ack.seq))?.events ?? [];
    return [{ event: originalOf(events[0]!, stored).event, duplicate: true }];
  }

  /**
   * A repeat that reaches a clustered stream while its original is still being copied to the other servers is acked
   * as a duplicate of sequence 0: JetStream knows the message id, not yet where the original is. Asking again under
   * the same id stores nothing new (or the original, had it failed), and is answered with its sequence once known.
   */
  async function writeKnown(subject: string, message: Uint8Array, header: MsgHdrs | undefined): Promise<StreamAck> {
    for (let ask = 0; ; ask++) {
      const ack = await writer.write(subject, message, header);
      if (!ack.duplicate || ack.seq > 0) return ack;
      if (ask === unknownOriginalAsks.length) {
        throw new StreamWriteError(ErrorCode.Timeout, "JetStream did not say where the original of a repeated event is stored");
      }
      await setTimeout(unknownOriginalAsks[ask]);
    }
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
