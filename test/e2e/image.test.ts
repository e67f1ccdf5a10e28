// The image's entry point, run here the way the container runs it: the Dockerfile's ENTRYPOINT and ENV, one argument.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { livenessService } from "../../services/shared/health.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { pickServicePorts } from "../../tools/stack/private-services.js";
import { localUrls, REPO_ROOT, SERVICE_NAMES, serviceEnvironment } from "../../tools/stack/services.js";
import { generateAdminToken, generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";
import { Supervisor } from "../../tools/stack/supervisor.js";
import { createDatabase } from "../helpers/throwaway.js";

interface Image {
  entrypoint: string[];
  env: Record<string, string>;
}

/** The ENTRYPOINT (exec form) and the ENV of the Dockerfile's last stage, the one that runs. */
async function image(): Promise<Image> {
  const text = await fs.readFile(path.join(REPO_ROOT, "Dockerfile"), "utf8");
  const lastStage = text.slice(text.lastIndexOf("\nFROM "));
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(lastStage)?.[1] ?? "[]") as string[];
  const env: Record<string, string> = {};
  for (const [, pairs] of lastStage.matchAll(/^ENV (.+)$/gm)) {
    for (const [, name, value] of pairs!.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
  }
  return { entrypoint, env };
}

/** Runs the entry point with args, as `docker run <image> <args>` would, from the repository root (the image's /app). */
async function run(entry: Image, args: string[], env: Record<string, string> = {}) {
  const [command, ...rest] = entry.entrypoint;
  const program = command === "node" ? process.execPath : command!;
  return promisify(execFile)(program, [...rest, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...entry.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
  );
}

test("image - the entry point refuses a missing or unknown service, saying which it runs", async (t) => {
  const entry = await image();
  t.deepEqual(entry.entrypoint, ["node", "dist/services/run.js"]);
  for (const args of [[], ["billing"]]) {
    const { code, output } = await run(entry, args);
    t.is(code, 2);
    t.regex(output, /usage: run\.js <gateway\|auth\|ingest\|inbox\|delivery\|migrate\|reseal-secrets>/);
  }
});

test("image - a service refuses to start before the migrations job has run, then every service starts on all interfaces", async (t) => {
  const entry = await image();
  t.is(entry.env.HOST, "0.0.0.0");
  const database = await createDatabase();
  t.teardown(database.drop);
  const nats = await startNatsServer();
  t.teardown(nats.stop);
  const shared = { DATABASE_URL: database.url, NATS_URL: nats.url, MIGRATE_ON_START: "false", LOG_LEVEL: "info" };

  const early = await run(entry, ["auth"], shared);
  t.not(early.code, 0);
  t.regex(early.output, /schema \\?"auth\\?" lacks migrations 001_orgs_and_keys\.sql/);
  t.is((await run(entry, ["migrate"], shared)).code, 0);

  const { ports, adminPorts } = await pickServicePorts();
  const stackEnv = serviceEnvironment({
    ports,
    adminPorts,
    urls: localUrls(ports),
    host: entry.env.HOST!,
    databaseUrl: database.url,
    natsUrl: nats.url,
    adminToken: generateAdminToken(),
    signingSecretsKey: generateSigningSecretsKey(),
  });
  const supervisor = new Supervisor({ restart: false });
  t.teardown(() => supervisor.stopAll());
  const [command, ...rest] = entry.entrypoint;
  for (const name of SERVICE_NAMES) {
    supervisor.add({
      name,
      command: command === "node" ? process.execPath : command!,
      args: [...rest, name],
      cwd: REPO_ROOT,
      env: { ...stackEnv, ...entry.env, ...shared },
      healthUrl: `http://127.0.0.1:${adminPorts[name]}/healthz`,
    });
  }
  await supervisor.startAll();

  for (const name of SERVICE_NAMES) {
    const serving = supervisor
      .logs(name)
      .map((line) => JSON.parse(line))
      .find((entry) => entry.msg === "serving");
    t.like(serving, { port: ports[name], adminPort: adminPorts[name] }, name);
    // The kubelet asks the pod's address, not loopback: the admin port must answer on every interface.
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${nonLoopbackAddress()}:${adminPorts[name]}` }));
    t.is((await health.check({ service: livenessService })).status, Status.SERVING, name);
    t.is((await health.check({ service: "" })).status, Status.SERVING, name);
  }
});

/** An address of this machine other than loopback; loopback itself on a machine that has none. */
function nonLoopbackAddress(): string {
  const nets = Object.values(os.networkInterfaces()).flat();
  return nets.find((each) => each && each.family === "IPv4" && !each.internal)?.address ?? "127.0.0.1";
}
