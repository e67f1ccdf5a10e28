// Schemas: migrations applied once at start, or only checked where a migrations job applies them.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import test from "ava";
import { connectDatabase, migrate, prepareSchema, SchemaBehind } from "../../services/shared/database.js";
import { createLogger } from "../../services/shared/logger.js";
import { createDatabase } from "../helpers/throwaway.js";

const logger = createLogger("test", "silent");

test("database - a service that does not migrate refuses to start on a schema that lacks migrations, naming them", async (t) => {
  const database = await createDatabase();
  t.teardown(database.drop);
  const sql = connectDatabase(database.url, logger);
  t.teardown(() => sql.end());
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "triggers-migrations-"));
  t.teardown(() => fs.rm(folder, { recursive: true, force: true }));
  const dir = pathToFileURL(`${folder}/`);
  await fs.writeFile(path.join(folder, "001_first.sql"), "create table widgets.things (id int)");

  const never = await t.throwsAsync(prepareSchema(sql, "widgets", dir, logger, false), { instanceOf: SchemaBehind });
  t.regex(never!.message, /schema "widgets" lacks migrations 001_first.sql: apply them first/);
  await migrate(sql, "widgets", dir, logger);
  await t.notThrowsAsync(prepareSchema(sql, "widgets", dir, logger, false));

  await fs.writeFile(path.join(folder, "002_second.sql"), "alter table widgets.things add column name text");
  const behind = await t.throwsAsync(prepareSchema(sql, "widgets", dir, logger, false), { instanceOf: SchemaBehind });
  t.regex(behind!.message, /lacks migrations 002_second.sql:/);
  await prepareSchema(sql, "widgets", dir, logger, true);
  t.is((await sql`select name from widgets.things`).length, 0);
});
