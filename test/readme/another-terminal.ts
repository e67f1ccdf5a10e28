// A command a reader leaves running in another terminal (a webhook receiver): started, read, and stopped with all it started.
import { spawn } from "node:child_process";

export interface AnotherTerminal {
  /** Everything it has printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export function runInAnotherTerminal(command: string, options: { cwd: string; env: Record<string, string> }): AnotherTerminal {
  // Its own process group, so that stopping it stops what the command started too.
  const child = spawn("bash", ["--noprofile", "--norc", "-c", command], { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let printed = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    printed += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    printed += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    output: () => printed,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    },
  };
}
