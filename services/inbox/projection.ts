// Projects the events stream into the inbox's store: exactly one row per event, however often a message comes.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "nats";
import { isDependencyDown } from "../shared/dependency-errors.js";
import type { Logger } from "../shared/logger.js";
import { decodePublishedEvents } from "../shared/published-events.js";
import { watchForStall } from "../shared/stall-watch.js";
import { consumers, eventsStream, pullExpiresMs } from "../shared/streams.js";
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
  rows: NewEventRow[];
}

// How many stream messages may be in our hands at once. Counted in messages, as every other reader counts: with a byte
// budget, nats.js 2.29 lost track of what pulls that ended on their count had left unused, asked for ever smaller pulls
// that the next large message never fit, and the projection stopped for good without an error (the soak found it).
const maxBufferedMessages = 32;

/** onStored hears of the orgs whose events were just stored, once they are. */
export async function startProjection(
  js: JetStreamClient,
  store: EventStore,
  batchSize: number,
  logger: Logger,
  onStored: (orgIds: string[]) => void,
): Promise<Projection> {
  const consumer = await js.consumers.get(eventsStream.name, consumers.inbox.durable_name!);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: maxBufferedMessages, expires: pullExpiresMs });
  const queue: Pending[] = [];
  let writing: Promise<void> | undefined;

  // Messages arriving while a batch is written wait for the next one: batches grow with the load, latency does not.
  const drain = async () => {
    try {
      while (queue.length > 0) {
        const batch = takeBatch(queue, batchSize);
        await writeBatch(batch, store, logger);
        onStored(batch.flatMap(({ rows }) => rows.map((row) => row.org_id)));
      }
    } finally {
      writing = undefined;
    }
  };
  const watch = watchForStall(consumer);
  const reading = (async () => {
    for await (const msg of watch.through(messages)) {
      const rows = readable(msg, logger);
      if (!rows) continue;
      queue.push({ msg, rows });
      writing ??= drain();
    }
  })();
  const done = Promise.race([reading, watch.stalled]);

  return {
    done,
    async stop() {
      watch.stop();
      await messages.close();
      await reading;
      await writing;
    },
  };
}

// Whole messages, as many as make up to batchSize events (at least one message, however many it holds).
function takeBatch(queue: Pending[], batchSize: number): Pending[] {
  let count = 0;
  let taken = 0;
  while (taken < queue.length && (taken === 0 || count + queue[taken]!.rows.length <= batchSize)) {
    count += queue[taken]!.rows.length;
    taken++;
  }
  return queue.splice(0, taken);
}

async function writeBatch(batch: Pending[], store: EventStore, logger: Logger): Promise<void> {
  try {
    await store.addEvents(batch.flatMap(({ rows }) => rows));
    settle(messagesOf(batch), (msg) => msg.ack(), logger);
  } catch (err) {
    if (isDependencyDown(err)) {
      logger.warn({ err, messages: batch.length }, "store unavailable; the events will be redelivered");
      settle(messagesOf(batch), (msg) => msg.nak(retryDelayMs), logger);
    } else {
      // One event the store refuses must not hold up the others: find it by writing them one by one.
      for (const pending of batch) await writeOneByOne(pending, store, logger);
    }
  }
}

async function writeOneByOne({ msg, rows }: Pending, store: EventStore, logger: Logger): Promise<void> {
  for (const row of rows) {
    try {
      await store.addEvents([row]);
    } catch (err) {
      if (isDependencyDown(err)) {
        logger.warn({ err, event_id: row.id }, "store unavailable; the events will be redelivered");
        return settle([msg], (m) => m.nak(retryDelayMs), logger);
      }
      // Ingest's rules should make this impossible; were it to happen, the event is named so it can be recovered from the stream.
      logger.error({ err, event_id: row.id, org_id: row.org_id, stream_seq: msg.seq }, "the store refused an event; it is set aside");
    }
  }
  settle([msg], (m) => m.ack(), logger);
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

function readable(msg: JsMsg, logger: Logger): NewEventRow[] | undefined {
  const published = decodePublishedEvents(msg.data);
  if (!published) {
    // A message nobody can read would come back forever; set it aside and say so.
    logger.error({ stream_seq: msg.seq }, "unreadable events message terminated");
    settle([msg], (m) => m.term(), logger);
    return undefined;
  }
  const { orgId, events } = published;
  return events.map(({ event, data }) => ({
    id: event.id,
    org_id: orgId,
    type: event.type,
    source: event.source,
    data,
    occurred_at: timestampDate(event.occurredAt!).toISOString(),
    received_at: timestampDate(event.receivedAt!).toISOString(),
  }));
}
