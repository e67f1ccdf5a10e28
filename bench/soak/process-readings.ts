// A service process's RSS and descriptors from /proc, its heap from its own /metrics; each absent when it cannot be read.
import { readdir, readFile, readlink } from "node:fs/promises";
import type { ProcessReading } from "./samples.js";

/** A process's reading, and the inodes of its open sockets, by which its Postgres connections are told apart. */
export interface ProcessLook {
  reading: ProcessReading;
  socketInodes: Set<string>;
}

export async function lookAt(service: string, pid: number, adminUrl: string): Promise<ProcessLook> {
  const [rssBytes, descriptors, metrics] = await Promise.all([residentBytes(pid), openDescriptors(pid), serviceMetrics(adminUrl)]);
  return {
    reading: {
      service,
      pid,
      rssBytes: rssBytes ?? metrics.get("process_resident_memory_bytes"),
      heapBytes: metrics.get("nodejs_heap_size_used_bytes"),
      fds: descriptors?.count ?? metrics.get("process_open_fds"),
    },
    socketInodes: descriptors?.sockets ?? new Set(),
  };
}

async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kb = status && /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

async function openDescriptors(pid: number): Promise<{ count: number; sockets: Set<string> } | undefined> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => undefined);
  if (!fds) return undefined;
  const sockets = new Set<string>();
  await Promise.all(
    fds.map(async (fd) => {
      // A descriptor closed between the listing and the look reads as nothing.
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) sockets.add(inode);
    }),
  );
  return { count: fds.length, sockets };
}

/** The unlabelled value of each metric in the service's Prometheus text (prom-client's defaults carry only `service`). */
async function serviceMetrics(adminUrl: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  try {
    const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) {
      await response.body?.cancel();
      return values;
    }
    for (const line of (await response.text()).split("\n")) {
      const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
      if (match && !values.has(match[1]!)) values.set(match[1]!, Number(match[2]));
    }
  } catch {
    // A service restarting has no metrics to give: the reading stays absent.
  }
  return values;
}
