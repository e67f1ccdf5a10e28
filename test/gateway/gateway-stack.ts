// A gateway under test: the real auth service and gateway as processes, a fresh database, and backend doubles.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import readline from "node:readline";
import postgres from "postgres";
import { startBackendDoubles, type BackendDoubles } from "./backend-doubles.js";

const serverUrl = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const root = new URL("../../", import.meta.url);

export interface ServiceProcess {
  url: string;
  port: number;
  /** Everything the process has written, one JSON line each. */
  lines: string[];
  /** The first line that satisfies check, once the process has written it. */
  line(check: (line: string) => boolean): Promise<string>;
  stop(): Promise<void>;
}

export interface GatewayStack {
  gateway: ServiceProcess;
  auth: ServiceProcess;
  doubles: BackendDoubles;
  adminToken: string;
  stop(): Promise<void>;
}

export async function startGatewayStack(env: Record<string, string> = {}): Promise<GatewayStack> {
  const database = await createDatabase();
  const adminToken = `ta_${randomBytes(16).toString("hex")}`;
  const doubles = await startBackendDoubles();
  const auth = await startService("services/auth/main.ts", "AUTH_PORT", { DATABASE_URL: database.url, ADMIN_TOKEN: adminToken });
  const gateway = await startGateway({ AUTH_URL: auth.url, INGEST_URL: doubles.url, INBOX_URL: doubles.url, DELIVERY_URL: doubles.url, ...env });
  return {
    gateway,
    auth,
    doubles,
    adminToken,
    async stop() {
      await Promise.allSettled([gateway.stop(), auth.stop(), doubles.close()]);
      await database.drop();
    },
  };
}

export function startGateway(env: Record<string, string>): Promise<ServiceProcess> {
  return startService("services/gateway/main.ts", "GATEWAY_PORT", env);
}

/** A port nothing listens on, for a backend that is down. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function createDatabase() {
  const name = `triggers_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin`create database ${admin(name)}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end({ timeout: 5 });
    },
  };
}

async function startService(script: string, portVariable: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "info", KEY_CACHE_TTL_MS: "60000", ...env, [portVariable]: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) readline.createInterface({ input: stream }).on("line", (line) => lines.push(line));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await untilHealthy(url, exited, () => `${script} did not start:\n${lines.join("\n")}`);
  return { url, port, lines, line: (check) => eventually(() => lines.find(check)), stop: () => stop(child, exited) };
}

async function untilHealthy(url: string, exited: Promise<void>, explain: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 30_000;
  while (!gone && Date.now() < deadline) {
    const healthy = await fetch(`${url}/healthz`).then((res) => res.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(explain());
}

// Output arrives through a pipe a little after the response it concerns.
async function eventually<T>(find: () => T | undefined): Promise<T> {
  for (let tries = 0; tries < 100; tries++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the expected output never came");
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
