// Reads a durable consumer one message at a time until stopped: how a service keeps a table of its own from a stream.
import type { JetStreamClient, JsMsg } from "nats";
import { watchForStall } from "./stall-watch.js";
import { pullExpiresMs } from "./streams.js";

export interface StreamReader {
  /** Rejects if reading the stream fails for good. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** handle acks, naks or terms each message itself; the next waits until it has. */
export async function readStream(
  js: JetStreamClient,
  stream: string,
  durable: string,
  handle: (msg: JsMsg) => Promise<void>,
): Promise<StreamReader> {
  const consumer = await js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: 64, expires: pullExpiresMs });
  const watch = watchForStall(consumer);
  const reading = (async () => {
    for await (const msg of watch.through(messages)) await handle(msg);
  })();
  const done = Promise.race([reading, watch.stalled]);
  return {
    done,
    async stop() {
      watch.stop();
      await messages.close();
      await reading;
    },
  };
}
