// Finds a process's pid by its command line, for a server whose launcher does not tell it (the bench's nats-server).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/**
 * The pid of the running `program` whose arguments include `argument` (one unique to it, such as its store
 * directory); undefined when none runs or the system has no /proc.
 */
export async function findProcess(program: string, argument: string): Promise<number | undefined> {
  const entries = await readdir("/proc").catch((): string[] => []);
  for (const pid of entries.filter((entry) => /^\d+$/.test(entry))) {
    // An empty line when it is gone between the listing and the read.
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (path.basename(args[0]!) === program && args.includes(argument)) return Number(pid);
  }
  return undefined;
}
