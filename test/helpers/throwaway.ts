// What integration tests start for themselves and remove again: a service's own process, with its log lines, and a database of its own.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { ServiceName } from "../../services/shared/config.js";
import { type ExitInfo, terminate, watchExit } from "../../tools/stack/child-exit.js";
import { eachLine } from "../../tools/stack/output-lines.js";
import { dropDatabase, ensureDatabase, resolvePostgres, withDatabase } from "../../tools/stack/postgres.js";

const repoRoot = new URL("../../", import.meta.url);

export interface ServiceProcess {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Where it serves health and /metrics. */
  adminUrl: string;
  /** Every line the process has written, stdout and stderr alike. */
  lines: string[];
  /** The first line that satisfies check, once written; fails if the process exits or timeoutMs passes first. */
  line(check: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves once the process has logged a JSON line with this message. */
  logged(msg: string): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s; resolves once it has exited. Safe to call twice. */
  stop(): Promise<ExitInfo>;
}

export interface ThrowawayDatabase {
  url: string;
  /** Drops the database, disconnecting whoever is still connected to it. */
  drop(): Promise<void>;
}

/**
 * Runs services/<name>/main.ts as its own process on a port the kernel picks
 * (<NAME>_PORT=0, so two tests never race for one), and resolves once it logs
 * that it serves: the moment its health turns to serving.
 */
export async function startService(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const entry = `services/${name}/main.ts`;
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...env, [`${name.toUpperCase()}_PORT`]: "0", [`${name.toUpperCase()}_ADMIN_PORT`]: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exit = watchExit(child);
  const lines: string[] = [];
  let exited: ExitInfo | undefined;
  const listeners = new Set<() => void>();
  eachLine([child.stdout, child.stderr], (line) => {
    lines.push(line);
    for (const listener of listeners) listener();
  });
  void exit.then((info) => {
    exited = info;
    for (const listener of listeners) listener();
  });

  const line = (check: (line: string) => boolean, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${entry} ${why}; its output:\n${lines.join("\n")}`));
      const settle = () => {
        const found = lines.find(check);
        if (found === undefined && !exited) return;
        clearTimeout(timer);
        listeners.delete(settle);
        if (found !== undefined) resolve(found);
        else fail(`exited (code ${exited!.code}, signal ${exited!.signal}) before writing the line waited for`);
      };
      const timer = setTimeout(() => {
        listeners.delete(settle);
        fail(`wrote no line like the one waited for in ${timeoutMs} ms`);
      }, timeoutMs);
      listeners.add(settle);
      settle();
    });

  let stopped: Promise<ExitInfo> | undefined;
  const stop = () => (stopped ??= terminate(child, exit, { graceMs: 15_000 }));
  try {
    const { port, adminPort } = logEntry(await line((each) => isServing(logEntry(each)), 30_000)) as Required<LogEntry>;
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      lines,
      line,
      logged: (msg) => line((each) => logEntry(each)?.msg === msg).then(() => undefined),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A database of its own on the Postgres the stack would use (DATABASE_URL, else a local server, else an embedded one). */
export async function createDatabase(): Promise<ThrowawayDatabase> {
  const server = await resolvePostgres({ databaseUrl: process.env.DATABASE_URL });
  const url = withDatabase(server.url, `triggers_test_${randomBytes(6).toString("hex")}`);
  try {
    await ensureDatabase(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url,
    async drop() {
      try {
        await dropDatabase(url);
      } finally {
        await server.stop();
      }
    },
  };
}

interface LogEntry {
  msg?: string;
  port?: number;
  adminPort?: number;
}

function logEntry(line: string): LogEntry | undefined {
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return undefined;
  }
}

function isServing(entry: LogEntry | undefined): boolean {
  return entry?.msg === "serving" && typeof entry.port === "number";
}
