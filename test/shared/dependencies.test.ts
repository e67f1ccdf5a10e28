// Readiness follows the dependencies: NATS and Postgres going away and coming back, over real sockets.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { databaseDependency, natsDependency } from "../../services/shared/dependencies.js";
import { HealthStatus } from "../../services/shared/health.js";
import { createLogger } from "../../services/shared/logger.js";
import { connectNats } from "../../services/shared/nats.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { freePort } from "../../tools/stack/ports.js";
import { eventually } from "../helpers/eventually.js";
import { createDatabase } from "../helpers/throwaway.js";

const logger = createLogger("test", "silent");

function readyHealth(): HealthStatus {
  const health = new HealthStatus([]);
  health.started();
  return health;
}

test("dependencies - NATS going away makes a service unready, and its return ready again", async (t) => {
  const port = await freePort();
  const storeDir = await fs.mkdtemp(path.join(os.tmpdir(), "triggers-readiness-"));
  t.teardown(() => fs.rm(storeDir, { recursive: true, force: true }));
  let server = await startNatsServer({ port, storeDir });
  t.teardown(() => server.stop());
  const nc = await connectNats([server.url], "test", logger);
  t.teardown(() => nc.close());
  const health = readyHealth();
  const stop = natsDependency(nc, logger)(health);
  t.teardown(stop);
  t.true(health.ready);

  await server.stop();
  await eventually(() => (health.ready ? undefined : true), "unready once NATS is gone");
  t.deepEqual(health.down, ["nats"]);
  server = await startNatsServer({ port, storeDir });
  await eventually(() => (health.ready ? true : undefined), "ready once NATS is back");
});

test("dependencies - a database that does not answer makes a service unready; one that answers makes it ready", async (t) => {
  const database = await createDatabase();
  t.teardown(database.drop);
  const answering = readyHealth();
  const silent = readyHealth();
  // Down until a check has found it up: only an answer can make this one ready.
  answering.dependency("database", false);
  const stops = [
    databaseDependency(database.url, logger)(answering),
    databaseDependency(`postgres://postgres@127.0.0.1:${await freePort()}/none`, logger)(silent),
  ];
  t.teardown(() => Promise.all(stops.map((stop) => stop())));

  await eventually(() => (silent.ready ? undefined : true), "unready without a database");
  t.deepEqual(silent.down, ["database"]);
  await eventually(() => (answering.ready ? true : undefined), "ready once the database answers");
});
