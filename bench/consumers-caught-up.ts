// Waits until the inbox and delivery have read every event published so far: a section measured while they work
// off the last one's backlog would share the machine with it.
import { setTimeout as sleep } from "node:timers/promises";
import { eventsStream } from "../services/shared/streams.js";
import { openLagReader, watchedConsumers } from "./soak/consumer-lag.js";

// A 20 s load flat out takes the consumers well under this to work off, even when they were paused through it.
const catchUpTimeoutMs = 5 * 60_000;

export async function consumersCaughtUp(natsUrl: string): Promise<void> {
  const lag = await openLagReader(natsUrl);
  const readers = watchedConsumers.filter(({ stream }) => stream === eventsStream.name).map(({ durable }) => durable);
  try {
    const deadline = Date.now() + catchUpTimeoutMs;
    while (Date.now() < deadline) {
      const read = await lag.read();
      if (readers.every((durable) => read[durable] && read[durable].pending + read[durable].unacknowledged === 0)) return;
      await sleep(500);
    }
    throw new Error(`the inbox and delivery had not read every event ${catchUpTimeoutMs / 1000} s after the load`);
  } finally {
    await lag.close();
  }
}
