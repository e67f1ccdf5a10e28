// A transactional outbox: messages written in the transaction of the change they tell of, and a relay that sends them.
//
// A message published after its change commits is lost when the process dies or NATS fails in between: a dead letter
// never written, a revoked key still open in other replicas' caches until they expire. Written as rows of the change's
// own transaction instead, a message exists exactly when its change does; the relay publishes the rows and deletes
// them once NATS has them. A row published but not yet deleted when the relay dies is published again: stream
// messages carry a message id, which the stream keeps once; announcements (core NATS) only ever make a cache drop
// what it holds, which twice is as good as once.
import type { JetStreamClient, NatsConnection } from "nats";
import type { Sql, Transaction } from "./database.js";
import type { Logger } from "./logger.js";

export interface OutboxMessage {
  subject: string;
  data: Uint8Array;
  /** Written to a stream under this id, acknowledged and kept once; without one, announced over core NATS. */
  messageId?: string;
}

/** Writes messages to the schema's outbox, in the transaction of the change they tell of. */
export async function writeOutbox(tx: Transaction, schema: string, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map(({ subject, data, messageId }) => ({ subject, data: Buffer.from(data), message_id: messageId ?? null }));
  await tx`insert into ${tx(schema)}.outbox ${tx(rows, "subject", "data", "message_id")}`;
}

// Rows published per pass: one transaction holds their locks while NATS answers.
const rowsPerPass = 256;

// A flush waits for a reconnection however long it takes; a pass must end, and its transaction with it.
const flushTimeoutMs = 2_000;

interface OutboxRow {
  id: string;
  subject: string;
  data: Buffer;
  message_id: string | null;
}

export interface OutboxRelayOptions {
  sql: Sql;
  schema: string;
  nats: NatsConnection;
  logger: Logger;
}

// How often the outbox is read when nothing wakes the relay: rows left by a replica that died are sent this soon.
const passIntervalMs = 1_000;

// A wake waits this long for the commits that follow it, so that under load one pass sends what many wrote: each pass
// costs Postgres a transaction whatever it carries. relayed() does not wait: its caller is waiting.
const gatherMs = 20;

export interface OutboxRelay {
  /** Sends what this process wrote, soon, without waiting: call once its transaction has committed. */
  wake(): void;
  /** Resolves once a pass that began after this call has ended, so what was committed before it is sent (or failed). */
  relayed(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Publishes the schema's outbox, in the order it was written, and deletes what NATS took. Replicas share the work:
 * each pass locks the rows it takes and skips those another holds. A pass that fails leaves its rows for the next.
 */
export function startOutboxRelay({ sql, schema, nats, logger }: OutboxRelayOptions): OutboxRelay {
  const js = nats.jetstream();
  let current: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  let stopped = false;

  const pass = async (): Promise<void> => {
    try {
      while ((await relayPass(sql, schema, nats, js)) === rowsPerPass && !stopped);
    } catch (err) {
      logger.warn({ err, schema }, "the outbox could not be relayed; its messages wait for the next pass");
    }
  };

  // A pass asked for while one runs follows it, and every ask made meanwhile shares that one.
  const relayed = (): Promise<void> => {
    if (!current) {
      current = pass().finally(() => {
        current = undefined;
      });
      return current;
    }
    again ??= current.then(() => {
      again = undefined;
      return relayed();
    });
    return again;
  };

  let gathering: NodeJS.Timeout | undefined;
  const timer = setInterval(() => void relayed(), passIntervalMs);
  return {
    wake() {
      gathering ??= setTimeout(() => {
        gathering = undefined;
        void relayed();
      }, gatherMs);
    },
    relayed,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(gathering);
      await (again ?? current);
    },
  };
}

/**
 * Takes up to rowsPerPass rows and publishes them, in one transaction; returns how many. The rows are deleted as they
 * are taken, in one statement: a publish that fails rolls the delete back, and they wait for the next pass.
 */
async function relayPass(sql: Sql, schema: string, nats: NatsConnection, js: JetStreamClient): Promise<number> {
  return sql.begin(async (tx) => {
    const taken = await tx<OutboxRow[]>`
      delete from ${tx(schema)}.outbox where id in (
        select id from ${tx(schema)}.outbox order by id limit ${rowsPerPass} for update skip locked)
      returning id, subject, data, message_id`;
    if (taken.length === 0) return 0;
    // In the order they were written: a delete returns its rows in no particular order.
    const rows = taken.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    await Promise.all(
      rows.filter((row) => row.message_id !== null).map((row) => js.publish(row.subject, row.data, { msgID: row.message_id! })),
    );
    const announcements = rows.filter((row) => row.message_id === null);
    for (const row of announcements) nats.publish(row.subject, row.data);
    // The server has every announcement once a flush returns: only then may the delete commit.
    if (announcements.length > 0) await flushWithin(nats, flushTimeoutMs);
    return rows.length;
  });
}

async function flushWithin(nats: NatsConnection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`NATS did not confirm the announcements within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([nats.flush(), late]);
  } finally {
    clearTimeout(timer);
  }
}
