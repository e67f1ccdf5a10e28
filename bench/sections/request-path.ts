// Ingest with the inbox and delivery paused: what the request path alone (the gateway and NATS) serves when the
// consumers' work does not share the machine's cores with it, as it does not where they run on nodes of their own.
import { cpuPerAnswer } from "../cpu.js";
import type { LoadResult } from "../load.js";
import type { Plan } from "../plan.js";
import type { BenchStack } from "../stack.js";
import { post, type Target } from "./ingest.js";

export interface RequestPathFigures {
  result: LoadResult;
  cpuUs: Record<string, number | undefined>;
}

/** Pauses the consumers (SIGSTOP) while the load runs, and resumes each of them whatever happens. */
export async function measureRequestPath(plan: Plan, stack: BenchStack, target: Target): Promise<RequestPathFigures> {
  const paused: number[] = [];
  try {
    for (const pid of [stack.pids.inbox, stack.pids.delivery]) {
      if (pid === undefined) continue;
      process.kill(pid, "SIGSTOP");
      paused.push(pid);
    }
    return await cpuPerAnswer({ gateway: stack.pids.gateway, nats: stack.natsPid }, () => post(target, plan.loadSeconds));
  } finally {
    for (const pid of paused) resume(pid);
  }
}

function resume(pid: number): void {
  try {
    process.kill(pid, "SIGCONT");
  } catch (err) {
    console.error(`bench: could not resume process ${pid}: ${(err as Error).message}`);
  }
}
