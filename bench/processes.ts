// The bench's own child processes (floor servers, the one-process alternative) and the memory of any process.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { terminate, watchExit } from "../tools/stack/child-exit.js";
import { eachLine } from "../tools/stack/output-lines.js";

export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript server of the bench in a process of its own, so that it never shares a core's time
 * with the load generator, and resolves once it prints the port it listens on (`{"port": N}`).
 */
export async function startServerProcess(script: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: new URL("../", import.meta.url),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exit = watchExit(child);
  const stop = () => terminate(child, exit, { graceMs: 5_000 }).then(() => undefined);
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    eachLine([child.stdout, child.stderr], (line) => {
      output.push(line);
      const announced = /^\{"port":(\d+)\}$/.exec(line);
      if (announced) resolve(Number(announced[1]));
    });
    void exit.then(({ code, signal }) => reject(new Error(`${script} exited (${code ?? signal}) before listening:\n${output.join("\n")}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}

/** Resident memory in MB, from /proc; undefined when the process is gone or the system has no /proc. */
export async function rssMb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Prints the port a bench server listens on, the line startServerProcess waits for. */
export function announcePort(port: number): void {
  console.log(JSON.stringify({ port }));
}
