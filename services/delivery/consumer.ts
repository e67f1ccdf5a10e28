// Reads the events stream with the delivery consumer: each message's events are dispatched, then it is acked once their attempts are recorded.
import type { JetStreamClient, JsMsg } from "nats";
import { isDependencyDown } from "../shared/dependency-errors.js";
import type { Logger } from "../shared/logger.js";
import { decodePublishedEvents } from "../shared/published-events.js";
import { consumers, eventsStream, orgOfEventSubject } from "../shared/streams.js";
import type { Dispatcher } from "./dispatcher.js";
import { Limiter } from "./limiter.js";

export interface ConsumerOptions {
  js: JetStreamClient;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Events handled at once. */
  concurrency: number;
  /** How long an event we could not finish waits before it comes back. */
  retryDelayMs: number;
}

export interface RunningConsumer {
  /** Rejects if the subscription to the stream breaks for good. */
  done: Promise<void>;
  /** Stops pulling, lets the events in hand finish, then resolves. */
  stop(): Promise<void>;
}

export async function startConsumer({ js, dispatcher, logger, concurrency, retryDelayMs }: ConsumerOptions): Promise<RunningConsumer> {
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
      const result = await dispatcher.dispatch(published.orgId, published.events, () => msg.working());
      if (result === "done") msg.ack();
      else msg.nak(retryDelayMs);
    } catch (err) {
      // Never ack what was not recorded: the events come back, and recorded attempts are not repeated.
      if (isDependencyDown(err)) logger.warn({ err, stream_seq: msg.seq }, "store unavailable, events retried later");
      else logger.error({ err, stream_seq: msg.seq }, "delivering events failed, retried later");
      msg.nak(retryDelayMs);
    }
  }

  // Most events belong to orgs without subscriptions: those are acked unread.
  async function skipUnsubscribed(msg: JsMsg): Promise<boolean> {
    try {
      if (await dispatcher.anyFor(orgOfEventSubject(msg.subject))) return false;
      msg.ack();
    } catch (err) {
      logger.warn({ err, stream_seq: msg.seq }, "subscriptions unavailable, event retried later");
      msg.nak(retryDelayMs);
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
