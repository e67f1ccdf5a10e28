// Reads the events stream with the delivery consumer: each message's deliveries are stored, the message acked, then sent.
import type { JetStreamClient, JsMsg } from "nats";
import { isDependencyDown } from "../../shared/dependency-errors.js";
import type { Logger } from "../../shared/logger.js";
import { decodePublishedEvents } from "../../shared/published-events.js";
import { consumers, eventsStream, orgOfEventSubject } from "../../shared/streams.js";
import type { Dispatcher } from "./dispatcher.js";
import { Limiter } from "./limiter.js";
import type { Sender } from "./sender.js";

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
  const messages = await consumer.consume({ max_messages: concurrency });
  const slots = new Limiter(concurrency);
  const inFlight = new Set<Promise<void>>();

  async function handle(msg: JsMsg): Promise<void> {
    // Ingest only writes well-formed messages; anything else would fail the same way on every redelivery.
    const published = decodePublishedEvents(msg.data);
    if (!published) {
      logger.error({ stream_seq: msg.seq }, "message is not published events, dropped");
      return msg.term();
    }
    try {
      const taken = await dispatcher.accept(published.orgId, published.events);
      // Stored, the deliveries no longer need the message: if we die now, their leases run out and any worker sends
      // them. Sent before the ack, which can throw: a message that comes back again adds nothing.
      sender.send(taken);
      msg.ack();
    } catch (err) {
      // Never ack what was not stored: the events come back, and the deliveries stored before are not made twice.
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

  async function take(msg: JsMsg): Promise<void> {
    if (!(await skipUnsubscribed(msg))) await handle(msg);
  }

  const done = (async () => {
    for await (const msg of messages) {
      const release = await slots.acquire();
      const task = take(msg)
        // Acking on a connection that just closed throws; the message then simply comes back.
        .catch((err: unknown) => logger.error({ err, stream_seq: msg.seq }, "handling a message failed"))
        .finally(release);
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
  })();

  return {
    done,
    async stop() {
      await messages.close();
      await done;
      await Promise.all(inFlight);
    },
  };
}
