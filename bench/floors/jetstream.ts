// Floor: JetStream publishes with acks to a file-backed stream, many in flight, as nats.js makes them.
import { randomUUID } from "node:crypto";
import { connect, StorageType } from "nats";
import { eventBody } from "../event-body.js";

// In flight at once: enough that the server, not the round trip, sets the pace.
const window = 512;

/** Acknowledged publishes a second over durationSeconds. */
export async function jetstreamPublishRate(natsUrl: string, durationSeconds: number): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: "BENCH_FLOOR", subjects: ["bench.floor"], storage: StorageType.File });
    const js = nc.jetstream();
    const payload = new TextEncoder().encode(eventBody);
    const deadline = performance.now() + durationSeconds * 1000;
    let acked = 0;
    const publisher = async () => {
      while (performance.now() < deadline) {
        await js.publish("bench.floor", payload, { msgID: randomUUID() });
        acked++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: window }, publisher));
    const rate = acked / ((performance.now() - started) / 1000);
    await jsm.streams.delete("BENCH_FLOOR");
    return Math.round(rate);
  } finally {
    await nc.close();
  }
}
