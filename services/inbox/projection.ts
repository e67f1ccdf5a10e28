// Projects the events stream into the inbox's store: exactly one row per event, however often a message comes.
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "nats";
import { PublishedEventSchema } from "../../gen/triggers/v1/event_pb.js";
import type { Logger } from "../shared/logger.js";
import { consumers, eventsStream } from "../shared/streams.js";
import type { EventStore, NewEventRow } from "./store.js";

// After a failed write, the batch comes back after this long rather than at once, so an outage is not a busy loop.
const retryDelayMs = 1_000;

export interface Projection {
  /** Stops pulling, writes what was already pulled, and resolves when that is done. */
  stop(): Promise<void>;
}

export async function startProjection(js: JetStreamClient, store: EventStore, batchSize: number, logger: Logger): Promise<Projection> {
  const consumer = await js.consumers.get(eventsStream.name, consumers.inbox.durable_name!);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: batchSize * 2 });
  const queue: JsMsg[] = [];
  let writing: Promise<void> = Promise.resolve();
  let idle = true;

  // Messages arriving while a batch is written wait for the next one: batches grow with the load, latency does not.
  const drain = async () => {
    idle = false;
    while (queue.length > 0) await writeBatch(queue.splice(0, batchSize), store, logger);
    idle = true;
  };
  const pulling = (async () => {
    for await (const msg of messages) {
      queue.push(msg);
      if (idle) writing = drain();
    }
  })();

  return {
    async stop() {
      await messages.close();
      await pulling;
      await writing;
    },
  };
}

async function writeBatch(batch: JsMsg[], store: EventStore, logger: Logger): Promise<void> {
  const rows: NewEventRow[] = [];
  const readable: JsMsg[] = [];
  for (const msg of batch) {
    const row = decode(msg, logger);
    if (row) {
      rows.push(row);
      readable.push(msg);
    }
  }
  try {
    if (rows.length > 0) await store.addEvents(rows);
    for (const msg of readable) msg.ack();
  } catch (err) {
    logger.warn({ err, events: rows.length }, "could not store events; they will be redelivered");
    for (const msg of readable) msg.nak(retryDelayMs);
  }
}

function decode(msg: JsMsg, logger: Logger): NewEventRow | undefined {
  try {
    const { orgId, event } = fromBinary(PublishedEventSchema, msg.data);
    if (!event?.occurredAt || !event.receivedAt) throw new Error("event without timestamps");
    return {
      id: event.id,
      org_id: orgId,
      type: event.type,
      source: event.source,
      data: event.data ?? {},
      occurred_at: timestampDate(event.occurredAt).toISOString(),
      received_at: timestampDate(event.receivedAt).toISOString(),
    };
  } catch (err) {
    // A message nobody can read would come back forever; set it aside and say so.
    logger.error({ err, stream_seq: msg.seq }, "unreadable event message terminated");
    msg.term();
    return undefined;
  }
}
