// CPU time of processes over a load, per answer: where the cost of an event goes, service by service.
import { readFile } from "node:fs/promises";

export type CpuByProcess = Record<string, number | undefined>;

/**
 * Where a CPU figure is read: one process by its pid, or a function giving the CPU seconds of a server that runs as
 * many processes coming and going (Postgres, see postgres-cpu.ts).
 */
export type CpuSource = number | undefined | (() => Promise<number | undefined>);

// The unit of /proc's utime and stime (USER_HZ), 100 on every Linux Node runs on.
const ticksPerSecond = 100;

/** CPU seconds (user and system) the process has used; undefined when it is gone or the system has no /proc. */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces: count fields after it (utime, stime are the 12th and 13th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

async function snapshot(sources: Record<string, CpuSource>): Promise<CpuByProcess> {
  const read = (source: CpuSource) => (typeof source === "function" ? source() : cpuSeconds(source));
  return Object.fromEntries(await Promise.all(Object.entries(sources).map(async ([name, source]) => [name, await read(source)] as const)));
}

/** Runs the load and gives each source's CPU microseconds per answer it counted. */
export async function cpuPerAnswer<T extends { answered: number }>(
  sources: Record<string, CpuSource>,
  load: () => Promise<T>,
): Promise<{ result: T; cpuUs: CpuByProcess }> {
  const before = await snapshot(sources);
  const result = await load();
  const after = await snapshot(sources);
  const cpuUs = Object.fromEntries(
    Object.keys(sources).map((name) => {
      const [start, end] = [before[name], after[name]];
      return [
        name,
        start === undefined || end === undefined || result.answered === 0 ? undefined : Math.round(((end - start) * 1e6) / result.answered),
      ];
    }),
  );
  return { result, cpuUs };
}
