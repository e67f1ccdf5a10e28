// Ingest with the inbox and delivery paused: what the request path alone (the gateway and NATS) serves when the
// consumers' work does not share the machine's cores with it, as it does not where they run on nodes of their own.
import { setTimeout as sleep } from "node:timers/promises";
import { eventsStream } from "../../services/shared/streams.js";
import { cpuPerAnswer } from "../cpu.js";
import type { LoadResult } from "../load.js";
import type { Plan } from "../plan.js";
import { openLagReader, watchedConsumers } from "../soak/consumer-lag.js";
import type { BenchStack } from "../stack.js";
import { post } from "./ingest.js";

// A backlog of a minute's publishing takes the consumers about as long again: past this, something is wrong.
const catchUpTimeoutMs = 5 * 60_000;

export interface RequestPathFigures {
  result: LoadResult;
  cpuUs: Record<string, number | undefined>;
}

/** Pauses the consumers (SIGSTOP) while the load runs, then waits until they have read everything it published. */
export async function measureRequestPath(plan: Plan, stack: BenchStack): Promise<RequestPathFigures> {
  const consumers = [stack.pids.inbox, stack.pids.delivery].filter((pid): pid is number => pid !== undefined);
  for (const pid of consumers) process.kill(pid, "SIGSTOP");
  try {
    return await cpuPerAnswer({ gateway: stack.pids.gateway, nats: stack.natsPid }, () =>
      post({ url: stack.gatewayUrl, key: stack.key }, plan.loadSeconds),
    );
  } finally {
    for (const pid of consumers) process.kill(pid, "SIGCONT");
    await caughtUp(stack.natsUrl);
  }
}

// The next section must not share the machine with this one's backlog.
async function caughtUp(natsUrl: string): Promise<void> {
  const lag = await openLagReader(natsUrl);
  const events = watchedConsumers.filter(({ stream }) => stream === eventsStream.name).map(({ durable }) => durable);
  try {
    const deadline = Date.now() + catchUpTimeoutMs;
    while (Date.now() < deadline) {
      const read = await lag.read();
      if (events.every((durable) => read[durable] && read[durable].pending + read[durable].unacknowledged === 0)) return;
      await sleep(500);
    }
    throw new Error(`the inbox and delivery had not caught up ${catchUpTimeoutMs / 1000} s after being resumed`);
  } finally {
    await lag.close();
  }
}
