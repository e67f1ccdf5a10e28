// Projects the events stream into the inbox's store: exactly one row per event, however often a message comes.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "nats";
import { isDependencyDown } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { decodePublishedEvent } from "../shared/published-event.js";
import { consumers, eventsStream } from "../shared/streams.js";
import type { EventStore, NewEventRow } from "./store.js";

// After a failed write, the batch comes back after this long rather than at once, so an outage is not a busy loop.
const retryDelayMs = 1_000;

export interface Projection {
  /** Rejects if reading the stream fails for good. */
  done: Promise<void>;
  /** Stops pulling, writes what was already pulled, and resolves when that is done. */
  stop(): Promise<void>;
}

interface Pending {
  msg: JsMsg;
  row: NewEventRow;
}

export async function startProjection(js: JetStreamClient, store: EventStore, batchSize: number, logger: Logger): Promise<Projection> {
  const consumer = await js.consumers.get(eventsStream.name, consumers.inbox.durable_name!);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: batchSize * 2 });
  const queue: Pending[] = [];
  let writing: Promise<void> | undefined;

  // Messages arriving while a batch is written wait for the next one: batches grow with the load, latency does not.
  const drain = async () => {
    try {
      while (queue.length > 0) await writeBatch(queue.splice(0, batchSize), store, logger);
    } finally {
      writing = undefined;
    }
  };
  const done = (async () => {
    for await (const msg of messages) {
      const row = readable(msg, logger);
      if (!row) continue;
      queue.push({ msg, row });
      writing ??= drain();
    }
  })();

  return {
    done,
    async stop() {
      await messages.close();
      await done;
      await writing;
    },
  };
}

async function writeBatch(batch: Pending[], store: EventStore, logger: Logger): Promise<void> {
  try {
    await store.addEvents(batch.map(({ row }) => row));
    settle(messagesOf(batch), (msg) => msg.ack(), logger);
  } catch (err) {
    if (isDependencyDown(err)) {
      logger.warn({ err, events: batch.length }, "store unavailable; the events will be redelivered");
      settle(messagesOf(batch), (msg) => msg.nak(retryDelayMs), logger);
    } else {
      // One event the store refuses must not hold up the others: find it by writing them one by one.
      for (const pending of batch) await writeOne(pending, store, logger);
    }
  }
}

async function writeOne({ msg, row }: Pending, store: EventStore, logger: Logger): Promise<void> {
  try {
    await store.addEvents([row]);
    settle([msg], (m) => m.ack(), logger);
  } catch (err) {
    const outage = isDependencyDown(err);
    if (outage) logger.warn({ err, event_id: row.id }, "store unavailable; the event will be redelivered");
    // Ingest's rules should make this impossible; were it to happen, the event is named so it can be recovered from the stream.
    else logger.error({ err, event_id: row.id, org_id: row.org_id, stream_seq: msg.seq }, "the store refused an event; it is set aside");
    settle([msg], (m) => (outage ? m.nak(retryDelayMs) : m.term()), logger);
  }
}

// Acks travel on the NATS connection; when it has just closed they fail, and the messages simply come back.
function settle(messages: JsMsg[], how: (msg: JsMsg) => void, logger: Logger): void {
  try {
    for (const msg of messages) how(msg);
  } catch (err) {
    logger.warn({ err }, "could not settle messages; they will be redelivered");
  }
}

const messagesOf = (batch: Pending[]) => batch.map(({ msg }) => msg);

function readable(msg: JsMsg, logger: Logger): NewEventRow | undefined {
  const published = decodePublishedEvent(msg.data);
  if (!published) {
    // A message nobody can read would come back forever; set it aside and say so.
    logger.error({ stream_seq: msg.seq }, "unreadable event message terminated");
    settle([msg], (m) => m.term(), logger);
    return undefined;
  }
  const { orgId, event, data } = published;
  return {
    id: event.id,
    org_id: orgId,
    type: event.type,
    source: event.source,
    data,
    occurred_at: timestampDate(event.occurredAt!).toISOString(),
    received_at: timestampDate(event.receivedAt!).toISOString(),
  };
}
