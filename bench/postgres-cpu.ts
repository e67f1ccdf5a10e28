// Postgres's CPU on this machine: every postgres process's own time, and what its exited backends left to the postmaster.
import { readdir, readFile } from "node:fs/promises";

// The unit of /proc's times (USER_HZ), 100 on every Linux Node runs on.
const ticksPerSecond = 100;

interface ProcessTimes {
  pid: number;
  parent: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: what its children used before they were reaped. */
  children: number;
}

async function timesOf(pid: number): Promise<{ name: string; times: ProcessTimes } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    // Fields after the name: state, ppid, ... utime is the 12th, stime the 13th, cutime and cstime the 14th and 15th.
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    return { name, times: { pid, parent: fields[1]!, own: fields[11]! + fields[12]!, children: fields[13]! + fields[14]! } };
  } catch {
    // Gone between the listing and the read.
    return undefined;
  }
}

/**
 * CPU seconds used so far by every Postgres server on the machine: the bench's private one, or the machine's shared
 * one (then anything else using it counts too). A backend that ends between two readings still counts, through its
 * postmaster's children's time.
 */
export async function postgresCpuSeconds(): Promise<number> {
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const found = (await Promise.all(pids.map(timesOf))).filter((p) => p?.name.startsWith("postgres"));
  const postgresPids = new Set(found.map((p) => p!.times.pid));
  let ticks = 0;
  for (const { times } of found as { times: ProcessTimes }[]) {
    ticks += times.own;
    if (!postgresPids.has(times.parent)) ticks += times.children;
  }
  return ticks / ticksPerSecond;
}
