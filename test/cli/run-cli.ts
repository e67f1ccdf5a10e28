// Runs the triggers CLI as users do, a child process of the bundle built from the sources, and collects its exit code and output.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  /** TRIGGERS_URL, TRIGGERS_API_KEY and the like; the parent's own TRIGGERS_* variables never leak in. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; without it stdin is empty (not a terminal). */
  input?: string;
}

export interface Cli {
  /** The bundle's path, for tmux sessions and the like. */
  bundle: string;
  /** A folder of its own for the CLI's config: login's file, listen's secret. */
  configDir: string;
  run(args: string[], options?: CliRun): Promise<CliResult>;
  /** Runs and parses stdout as the one JSON document --output json prints; fails with the output when the exit code is not 0. */
  json(args: string[], options?: CliRun): Promise<any>;
  /** Starts the CLI without waiting for it: the caller stops it. */
  spawn(args: string[], options?: CliRun): ChildProcess;
  /** Removes the bundle and config folder. */
  remove(): Promise<void>;
}

/** Bundles cli/src as `npm run build` does, into a folder of its own, so a test never runs a stale build. */
export async function buildCli(env: Record<string, string> = {}): Promise<Cli> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "triggers-cli-"));
  const bundle = path.join(scratch, "triggers.js");
  await promisify(execFile)(process.execPath, [path.join(root, "cli/build.mjs"), bundle]);
  const configDir = path.join(scratch, "config");
  const environment = (extra: CliRun["env"]) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TRIGGERS_")));
    return { ...clean, TRIGGERS_CONFIG_DIR: configDir, ...env, ...extra } as NodeJS.ProcessEnv;
  };
  const start = (args: string[], options: CliRun = {}) =>
    spawn(process.execPath, [bundle, ...args], { env: environment(options.env), stdio: ["pipe", "pipe", "pipe"] });
  const run = (args: string[], options: CliRun = {}) =>
    new Promise<CliResult>((resolve, reject) => {
      const child = start(args, options);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (chunk) => (stdout += chunk));
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin!.end(options.input ?? "");
    });
  return {
    bundle,
    configDir,
    run,
    spawn: start,
    async json(args, options) {
      const result = await run([...args, "--output", "json"], options);
      if (result.code !== 0) throw new Error(`triggers ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
      return JSON.parse(result.stdout);
    },
    remove: () => fs.rm(scratch, { recursive: true, force: true }),
  };
}
