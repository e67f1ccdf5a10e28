// Which real failures of Postgres, NATS and the network count as a dependency being down, and which do not.
import { randomBytes } from "node:crypto";
import net from "node:net";
import test from "ava";
import { connect } from "nats";
import postgres from "postgres";
import { isDependencyDown, isNatsDown, isNetworkDown, isPostgresDown } from "../../services/shared/dependency-errors.js";
import { StreamWriter } from "../../services/shared/publishing/stream-writer.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { freePort } from "../../tools/stack/ports.js";
import { eventually } from "../helpers/eventually.js";
import { createDatabase } from "../helpers/throwaway.js";

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error("expected the work to fail");
}

test("dependency errors - Postgres refusing a connection is the network; a closed connection or a full server is Postgres", async (t) => {
  const closedPort = await freePort();
  const refused = await failureOf(() => postgres({ host: "127.0.0.1", port: closedPort, max: 1, onnotice: () => {} })`select 1`);
  t.true(isNetworkDown(refused), String(refused));
  t.false(isPostgresDown(refused));

  const database = await createDatabase();
  t.teardown(database.drop);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  // As when Postgres restarts: the server ends a connection in the middle of a query.
  const victim = postgres(database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => victim.end({ timeout: 0 }));
  const [{ pid }] = await victim<[{ pid: number }]>`select pg_backend_pid() as pid`;
  const sleeping = failureOf(() => victim`select pg_sleep(30)`);
  await eventually(
    async () => (await sql`select 1 from pg_stat_activity where pid = ${pid} and state = 'active'`).length > 0 || undefined,
    "the sleep to start",
  );
  await sql`select pg_terminate_backend(${pid})`;
  const closed = await sleeping;
  t.true(isPostgresDown(closed), String(closed));
  t.false(isNatsDown(closed));

  const ending = postgres(database.url, { max: 1, onnotice: () => {} });
  await ending.end();
  const ended = await failureOf(() => ending`select 1`);
  t.true(isPostgresDown(ended), String(ended));

  // A role allowed no connections makes the server answer as it does when it is full: SQLSTATE 53300.
  const role = `full_${randomBytes(4).toString("hex")}`;
  await sql`create role ${sql(role)} login connection limit 0`;
  t.teardown(() => sql`drop role ${sql(role)}`);
  const full = await failureOf(() => postgres(withRole(database.url, role), { max: 1, onnotice: () => {} })`select 1`);
  t.true(full instanceof postgres.PostgresError && isPostgresDown(full), String(full));
});

function withRole(url: string, role: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = "";
  return parsed.href;
}

test("dependency errors - a query Postgres rejects is not a dependency being down", async (t) => {
  const database = await createDatabase();
  t.teardown(database.drop);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  const rejected = await failureOf(() => sql`select * from no_such_table`);
  t.false(isDependencyDown(rejected), String(rejected));
});

test("dependency errors - NATS refusing, closed or without responders is NATS being down; a bad subject is not", async (t) => {
  const closedPort = await freePort();
  const refused = await failureOf(() => connect({ servers: `127.0.0.1:${closedPort}`, reconnect: false }));
  t.true(isNatsDown(refused), String(refused));
  t.false(isPostgresDown(refused));

  const server = await startNatsServer();
  t.teardown(server.stop);
  const nc = await connect({ servers: server.url });
  const noResponders = await failureOf(() => nc.request("nobody.listens", "x", { timeout: 2_000 }));
  t.true(isNatsDown(noResponders), String(noResponders));
  const badSubject = await failureOf(async () => nc.publish("", "x"));
  t.false(isDependencyDown(badSubject), String(badSubject));
  await nc.close();
  const closed = await failureOf(async () => nc.publish("after.close", "x"));
  t.true(isNatsDown(closed), String(closed));
  t.false(isPostgresDown(closed));
});

test("dependency errors - a JetStream write with no stream to take it is NATS being down", async (t) => {
  const server = await startNatsServer();
  t.teardown(server.stop);
  const nc = await connect({ servers: server.url });
  t.teardown(() => nc.close());
  const writer = new StreamWriter(nc, 2_000);
  t.teardown(() => writer.close());
  const err = await failureOf(() => writer.write("no.stream.here", Buffer.from("x")));
  t.true(isNatsDown(err), String(err));
});

test("dependency errors - a peer that refuses or resets a connection is the network", async (t) => {
  const refused = await failureOf(() => connectTo(freePort()));
  t.true(isNetworkDown(refused), String(refused));

  const resetting = net.createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
  t.teardown(() => resetting.close());
  const reset = await failureOf(() => connectTo(Promise.resolve((resetting.address() as net.AddressInfo).port), true));
  t.true(isNetworkDown(reset), String(reset));
  t.false(isNetworkDown(new Error("something else")));
  t.false(isDependencyDown(undefined));
});

// Connects and, when asked, waits for the peer to end the connection; rejects with the socket's error.
async function connectTo(port: Promise<number>, waitForEnd = false): Promise<void> {
  const socket = net.connect(await port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once(waitForEnd ? "close" : "connect", () => resolve());
  });
  socket.destroy();
}
