// Connects to Postgres and applies a service's migrations to its own schema, once, whatever the number of replicas.
import { readdir, readFile } from "node:fs/promises";
import postgres from "postgres";
import type { Logger } from "./logger.js";

export type Sql = postgres.Sql;

/** The connection a transaction runs on. */
export type Transaction = postgres.TransactionSql;

/** Run inside a change's transaction once it is made, before it commits: where its audit entry is written. */
export type BeforeCommit<T> = (made: T) => Promise<void>;

export function connectDatabase(url: string, logger: Logger): Sql {
  return postgres(url, {
    max: 10,
    onnotice: (notice) => logger.debug({ notice: notice.message }, "postgres notice"),
  });
}

/** Applies, in name order, the .sql files of dir that the schema has not seen yet. */
export async function migrate(sql: Sql, schema: string, dir: URL, logger: Logger): Promise<void> {
  const files = await migrationFiles(dir);
  await sql.begin(async (tx) => {
    // Replicas starting together would race to apply the same files; the lock queues them.
    await tx`select pg_advisory_xact_lock(hashtext(${schema}))`;
    await tx`create schema if not exists ${tx(schema)}`;
    await tx`create table if not exists ${tx(schema)}.migrations (name text primary key, applied_at timestamptz not null default now())`;
    const applied = new Set((await tx`select name from ${tx(schema)}.migrations`).map((row) => row.name as string));
    for (const name of files.filter((file) => !applied.has(file))) {
      await tx.unsafe(await readFile(new URL(name, dir), "utf8"));
      await tx`insert into ${tx(schema)}.migrations (name) values (${name})`;
      logger.info({ schema, migration: name }, "migration applied");
    }
  });
}

/** Thrown at start by a service whose schema lacks migrations it was not to apply itself. */
export class SchemaBehind extends Error {
  constructor(schema: string, pending: string[]) {
    super(`schema "${schema}" lacks migrations ${pending.join(", ")}: apply them first (node dist/services/run.js migrate)`);
    this.name = "SchemaBehind";
  }
}

/**
 * Applies the schema's migrations or, where they are applied once per release by a job of their own
 * (MIGRATE_ON_START=false), only checks that they were: a service never runs on a schema older than its code.
 */
export async function prepareSchema(sql: Sql, schema: string, dir: URL, logger: Logger, apply: boolean): Promise<void> {
  if (apply) return migrate(sql, schema, dir, logger);
  const [row] = await sql`select to_regclass(${`${schema}.migrations`}) as table`;
  const applied = new Set(row?.table ? (await sql`select name from ${sql(schema)}.migrations`).map((row) => row.name as string) : []);
  const pending = (await migrationFiles(dir)).filter((file) => !applied.has(file));
  if (pending.length > 0) throw new SchemaBehind(schema, pending);
}

async function migrationFiles(dir: URL): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
}
