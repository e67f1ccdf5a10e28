// Waiting for a child process to end, and ending one politely before forcing it.
import type { ChildProcess } from "node:child_process";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the program could not be started at all (not found, not executable, not reachable). */
  error?: Error;
}

/**
 * Resolves when the child has exited and its output streams are drained.
 * Call it right after spawning: a promise made later could miss the event.
 */
export function watchExit(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
    // A failed spawn emits "error" and may never emit "close".
    child.once("error", (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
  });
}

/** How a program ended, as the end of a sentence that starts with its name: "nats-server exited with code 1". */
export function describeExit({ code, signal, error }: ExitInfo): string {
  if (error) return `could not run (${error.message})`;
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Sends `signal`, then SIGKILL when the child is still there after graceMs. */
export async function terminate(
  child: ChildProcess,
  exit: Promise<ExitInfo>,
  { signal = "SIGTERM", graceMs = 10_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<ExitInfo> {
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}
