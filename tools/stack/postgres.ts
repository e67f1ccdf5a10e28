// Finds the Postgres the stack uses (DATABASE_URL, then a local server, then an embedded one) and manages databases on it.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "./embedded-postgres.js";
import { isListening } from "./ports.js";

const LOCAL_HOST = "127.0.0.1";
const LOCAL_PORT = 5432;
export const DEFAULT_DATABASE = "triggers";

export interface ResolvedPostgres {
  /** URL of the target database; it may not exist yet (see ensureDatabase). */
  url: string;
  source: "DATABASE_URL" | "local" | "embedded";
  /** Stops the embedded server when we started one; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface ResolvePostgresOptions {
  databaseUrl?: string;
  /** Database name used when DATABASE_URL is not set. */
  database?: string;
  /** Database name used on the machine's own server, which other checkouts share; `database` when unset. */
  sharedServerDatabase?: string;
  /** Where an embedded cluster lives; without it, a temporary one removed on stop. */
  embeddedDataDir?: string;
  onEmbeddedLine?: (line: string) => void;
  /** Run an embedded server in its own process group (see startEmbeddedPostgres). */
  detached?: boolean;
}

export async function resolvePostgres(options: ResolvePostgresOptions = {}): Promise<ResolvedPostgres> {
  const database = options.database ?? DEFAULT_DATABASE;
  if (options.databaseUrl) return { url: options.databaseUrl, source: "DATABASE_URL", stop: async () => {} };
  if (await isListening(LOCAL_HOST, LOCAL_PORT)) {
    const name = encodeURIComponent(options.sharedServerDatabase ?? database);
    return { url: `postgres://postgres@${LOCAL_HOST}:${LOCAL_PORT}/${name}`, source: "local", stop: async () => {} };
  }

  const temporary = options.embeddedDataDir ? undefined : await postgresTempDir();
  const server = await startEmbeddedPostgres({
    dataDir: options.embeddedDataDir ?? path.join(temporary!, "data"),
    onLine: options.onEmbeddedLine,
    detached: options.detached,
  });
  return {
    url: withDatabase(server.url, database),
    source: "embedded",
    stop: async () => {
      await server.stop();
      if (temporary) await fs.rm(temporary, { recursive: true, force: true });
    },
  };
}

/**
 * Creates the database named in `url` when it does not exist, connecting to the server's `postgres` database;
 * true when this call created it.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withAdmin(url, async (sql) => {
    const [found] = await sql`select 1 from pg_database where datname = ${name}`;
    if (found) return false;
    try {
      await sql`create database ${sql(name)}`;
      return true;
    } catch (error) {
      // Another process created it between our check and our create.
      if ((error as { code?: string }).code !== "42P04") throw error;
      return false;
    }
  });
}

/** How many orgs the database holds: 0 before auth's schema is there. */
export async function countOrgs(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [schema] = await sql`select to_regclass('auth.orgs') is not null as present`;
    if (!schema?.present) return 0;
    const [row] = await sql`select count(*)::int as orgs from auth.orgs`;
    return row?.orgs ?? 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Drops the database named in `url`, disconnecting whoever is still connected to it. */
export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withAdmin(url, (sql) => sql`drop database if exists ${sql(name)} with (force)`);
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`the database URL names no database: ${redact(url)}`);
  return name;
}

async function withAdmin<T>(url: string, use: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(withDatabase(url, "postgres"), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return await use(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/** A temporary parent the Postgres user can enter, also when we run as root and it runs as `postgres`. */
async function postgresTempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "triggers-pg-"));
  await fs.chmod(dir, 0o755);
  return dir;
}
