// Notices a stream reader that has stopped receiving while its stream has messages for it that nobody holds.
import type { Consumer } from "nats";

/**
 * nats.js can stop delivering to a consume() loop without an error: with a byte budget, version 2.29 made pulls too
 * small for the next message and asked again for ever (the soak found the inbox so). A reader stopped like that looks
 * healthy while its messages pile up; the cure is a restart, so the watch rejects and the service exits.
 */
export class StalledReaderError extends Error {
  constructor(consumer: string, pending: number, quietMs: number) {
    super(`${consumer} received nothing for ${quietMs / 1000} s while ${pending} messages waited and none were in any reader's hands`);
    this.name = "StalledReaderError";
  }
}

export interface StallWatch {
  /** The reader's messages, each counted as received as it passes. */
  through<T>(messages: AsyncIterable<T>): AsyncIterable<T>;
  /** Rejects with StalledReaderError once the reader has stalled; never resolves. */
  stalled: Promise<never>;
  stop(): void;
}

// A reader waiting on a busy store still holds messages. One that received nothing for two of these periods in a row,
// while messages waited at both ends and nobody held any, is waiting on nothing: the second look keeps a message
// published just before the first from counting.
const defaultQuietMs = 30_000;

export function watchForStall(consumer: Consumer, quietMs = defaultQuietMs): StallWatch {
  let receivedSince = false;
  let suspected = false;
  let fail: (err: StalledReaderError) => void = () => {};
  const stalled = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // Nobody need await it until the service wires it to its exit.
  stalled.catch(() => {});
  const check = async () => {
    const quiet = !receivedSince;
    receivedSince = false;
    // While NATS is out of reach the question cannot be asked: the connection's own status covers that.
    const info = quiet ? await consumer.info().catch(() => undefined) : undefined;
    const waiting = info !== undefined && info.num_pending > 0 && info.num_ack_pending === 0;
    if (waiting && suspected) fail(new StalledReaderError(info.name, info.num_pending, 2 * quietMs));
    suspected = waiting;
  };
  const timer = setInterval(() => void check(), quietMs);
  timer.unref();
  return {
    async *through(messages) {
      for await (const msg of messages) {
        receivedSince = true;
        yield msg;
      }
    },
    stalled,
    stop: () => clearInterval(timer),
  };
}
