// Kills a service chosen at random every few minutes with SIGKILL, as a node failing would, and times how long the
// supervisor (standing in for Kubernetes) takes to have a new process answering /healthz.
import { SERVICE_NAMES, type ServiceName } from "../../tools/stack/services.js";
import type { Supervisor } from "../../tools/stack/supervisor.js";
import type { Kill } from "./samples.js";

export interface KilledStack {
  supervisor: Supervisor;
  pids: Partial<Record<ServiceName, number>>;
  adminUrls: Record<ServiceName, string>;
}

export interface Killer {
  kills: Kill[];
  /** Cancels the kills not yet made and resolves once the one under way (if any) has its new process or gave up. */
  stop(): Promise<void>;
}

/** When the kills fall, in seconds since publishing began: every `everyMinutes`, none at or after the end. */
export function killTimes(minutes: number, everyMinutes: number): number[] {
  if (everyMinutes <= 0) return [];
  const times: number[] = [];
  for (let t = everyMinutes; t < minutes; t += everyMinutes) times.push(t * 60);
  return times;
}

export function startKills(
  stack: KilledStack,
  times: number[],
  random: () => number,
  clock: () => number,
  /** Past this, a killed service counts as never back. */
  backWithinSeconds: number,
  onKill: (kill: Kill) => void,
): Killer {
  const kills: Kill[] = [];
  const stopping = new AbortController();
  const run = (async () => {
    for (const at of times) {
      if (!(await sleep((at - clock()) * 1000, stopping.signal))) return;
      const service = SERVICE_NAMES[Math.floor(random() * SERVICE_NAMES.length)]!;
      // One still coming back from a death of its own is waited for: the supervisor cannot kill what is not running.
      if (!stack.supervisor.isRunning(service)) await backAgain(stack, service, undefined, backWithinSeconds);
      const kill: Kill = { t: clock(), service, pid: stack.pids[service] };
      kills.push(kill);
      await stack.supervisor.kill(service, "SIGKILL");
      const back = await backAgain(stack, service, kill.pid, backWithinSeconds);
      if (back) {
        kill.newPid = stack.pids[service];
        kill.backAfterSeconds = clock() - kill.t;
      }
      onKill(kill);
    }
  })();
  return {
    kills,
    stop: async () => {
      stopping.abort();
      await run;
    },
  };
}

/** Waits for a process other than the killed one to answer /healthz; false after backWithinSeconds. */
async function backAgain(
  stack: KilledStack,
  service: ServiceName,
  killedPid: number | undefined,
  backWithinSeconds: number,
): Promise<boolean> {
  const deadline = performance.now() + backWithinSeconds * 1000;
  while (performance.now() < deadline) {
    if (stack.pids[service] !== killedPid && (await healthy(stack.adminUrls[service]))) return true;
    await sleep(100);
  }
  return false;
}

async function healthy(adminUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Resolves true after ms, or false as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), Math.max(0, ms));
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve(false);
      },
      { once: true },
    );
  });
}
