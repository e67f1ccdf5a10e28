// Reads the events stream with the delivery consumer: each message is acked once its deliveries are stored, or, for
// those sent straight from it, once their first attempts are recorded.
import type { JetStreamClient, JsMsg } from "nats";
import { isDependencyDown } from "../../shared/dependency-errors.js";
import type { Logger } from "../../shared/logger.js";
import { decodePublishedEvents } from "../../shared/published-events.js";
import { watchForStall } from "../../shared/stall-watch.js";
import { consumers, deliveryAckWaitMs, eventsStream, orgOfEventSubject, pullExpiresMs } from "../../shared/streams.js";
import type { Dispatcher } from "./dispatcher.js";
import { Limiter } from "./limiter.js";
import type { Sender } from "./sender.js";

// A message read this soon after it was stored is fresh: its deliveries may be sent before any row of them is written.
// An older one (a backlog after an outage) has its deliveries written first, so that a deletion made meanwhile holds.
export const freshForMs = 10_000;
// While its first attempts run, a message is marked in progress this often, well within the consumer's ack wait.
const workingEveryMs = deliveryAckWaitMs / 3;
// Messages held for their first attempts, per message handled at once, at most: past that, a fresh message's
// deliveries are written first and the message acked, so that slow endpoints cannot fill the consumer's
// max_ack_pending and stop every org's events.
const heldPerSlot = 4;

export interface ConsumerOptions {
  js: JetStreamClient;
  dispatcher: Dispatcher;
  sender: Sender;
  logger: Logger;
  /** Messages handled at once. */
  concurrency: number;
  /** How long a message we could not store waits before it comes back. */
  outageBackoffMs: number;
}

export interface RunningConsumer {
  /** Rejects if the subscription to the stream breaks for good. */
  done: Promise<void>;
  /** Stops pulling, lets the events in hand finish, then resolves. */
  stop(): Promise<void>;
}

function isFresh(msg: JsMsg): boolean {
  return !msg.redelivered && Date.now() - msg.info.timestampNanos / 1e6 < freshForMs;
}

/** Waits for the work, telling JetStream every so often that the message is still being worked on. */
async function whileWorking<T>(msg: JsMsg, work: Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    // Throws once the connection is closing: the message then comes back anyway, and its outcome is written or not.
    try {
      msg.working();
    } catch {}
  }, workingEveryMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

export async function startConsumer({
  js,
  dispatcher,
  sender,
  logger,
  concurrency,
  outageBackoffMs,
}: ConsumerOptions): Promise<RunningConsumer> {
  const consumer = await js.consumers.get(eventsStream.name, consumers.delivery.durable_name!);
  // No more in hand than we can work on: a buffered message's ack wait is already running.
  const messages = await consumer.consume({ max_messages: concurrency, expires: pullExpiresMs });
  const slots = new Limiter(concurrency);
  const inFlight = new Set<Promise<void>>();
  let held = 0;

  async function handle(msg: JsMsg, handedOff: () => void): Promise<void> {
    // Ingest only writes well-formed messages; anything else would fail the same way on every redelivery.
    const published = decodePublishedEvents(msg.data);
    if (!published) {
      logger.error({ stream_seq: msg.seq }, "message is not published events, dropped");
      return msg.term();
    }
    try {
      const fresh = isFresh(msg) && held < concurrency * heldPerSlot;
      const { first, stored } = await dispatcher.accept(published.orgId, published.events, fresh);
      // Stored deliveries no longer need the message: if we die now, their leases run out and any worker sends them.
      sender.send(stored);
      // The message is the only record of first attempts until they are written: it waits, and the next one is read.
      if (first.length > 0) {
        handedOff();
        held++;
        await whileWorking(msg, sender.sendFirst(first)).finally(() => held--);
      }
      msg.ack();
    } catch (err) {
      // Never ack what was not recorded: the events come back, and the deliveries recorded before are not made twice.
      if (isDependencyDown(err)) logger.warn({ err, stream_seq: msg.seq }, "store unavailable, events retried later");
      else logger.error({ err, stream_seq: msg.seq }, "storing deliveries failed, retried later");
      msg.nak(outageBackoffMs);
    }
  }

  // Most events belong to orgs without subscriptions: those are acked unread.
  async function skipUnsubscribed(msg: JsMsg): Promise<boolean> {
    try {
      if (await dispatcher.anyFor(orgOfEventSubject(msg.subject))) return false;
      msg.ack();
    } catch (err) {
      logger.warn({ err, stream_seq: msg.seq }, "subscriptions unavailable, event retried later");
      msg.nak(outageBackoffMs);
    }
    return true;
  }

  async function take(msg: JsMsg, handedOff: () => void): Promise<void> {
    if (!(await skipUnsubscribed(msg))) await handle(msg, handedOff);
  }

  const watch = watchForStall(consumer);
  const reading = (async () => {
    for await (const msg of watch.through(messages)) {
      const release = await slots.acquire();
      // A message waiting for its first attempts gives its slot back: the lanes bound those.
      const task = take(msg, release)
        // Acking on a connection that just closed throws; the message then simply comes back.
        .catch((err: unknown) => logger.error({ err, stream_seq: msg.seq }, "handling a message failed"))
        .finally(release);
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
  })();

  return {
    done: Promise.race([reading, watch.stalled]),
    async stop() {
      watch.stop();
      await messages.close();
      await reading;
      await Promise.all(inFlight);
    },
  };
}
