// Finds the NATS server the stack uses (NATS_URL, then a local one, then a nats-server we spawn with JetStream).
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describeExit, terminate, watchExit } from "./child-exit.js";
import { LaunchError } from "./launch-error.js";
import { eachLine, LineBuffer } from "./output-lines.js";
import { loopback, type Placement, placed } from "./placement.js";
import { isListening } from "./ports.js";

const LOCAL_HOST = "127.0.0.1";
const LOCAL_PORT = 4222;

/** Thrown when no nats-server binary can be found; its message says how to get one. */
export class NatsServerMissingError extends LaunchError {
  constructor() {
    super(
      "nats-server was not found",
      [
        "install it",
        "  Debian/Ubuntu: sudo apt-get install nats-server",
        "  macOS:         brew install nats-server",
        "  elsewhere:     a release from https://github.com/nats-io/nats-server/releases (put nats-server on your PATH)",
        "or point NATS_URL at a running server with JetStream enabled.",
      ].join("\n"),
    );
    this.name = "NatsServerMissingError";
  }
}

export interface NatsServer {
  url: string;
  storeDir: string;
  stop(): Promise<void>;
  /** Ends the server at once with SIGKILL, as a crash would; stop() still removes a temporary store. */
  kill(): Promise<void>;
}

/** A node of a JetStream cluster on this machine: its name, the port for routes, and its peers' route URLs. */
export interface ClusterNode {
  serverName: string;
  clusterName: string;
  routePort: number;
  routes: string[];
}

export interface StartNatsServerOptions {
  /** JetStream store; without it, a temporary directory removed on stop. */
  storeDir?: string;
  /** Client port; without it the server picks a free one. */
  port?: number;
  binary?: string;
  onLine?: (line: string) => void;
  /** Own process group, so a Ctrl-C meant for the launcher does not stop NATS before the services. */
  detached?: boolean;
  cluster?: ClusterNode;
  /** Where the server runs and listens (clients, routes and monitoring alike); this machine's loopback when unset. */
  placement?: Placement;
  /** Serves the monitoring endpoints (/connz, /healthz) on this port; none when unset. */
  monitorPort?: number;
}

export interface ResolvedNats {
  url: string;
  source: "NATS_URL" | "local" | "spawned";
  /** Stops the nats-server when we spawned one; otherwise does nothing. */
  stop(): Promise<void>;
}

export async function resolveNats(options: {
  natsUrl?: string;
  storeDir: string;
  onLine?: (line: string) => void;
  detached?: boolean;
}): Promise<ResolvedNats> {
  if (options.natsUrl) return { url: options.natsUrl, source: "NATS_URL", stop: async () => {} };
  if (await isListening(LOCAL_HOST, LOCAL_PORT)) {
    return { url: `nats://${LOCAL_HOST}:${LOCAL_PORT}`, source: "local", stop: async () => {} };
  }
  const { storeDir, onLine, detached } = options;
  const server = await startNatsServer({ storeDir, onLine, detached, port: LOCAL_PORT });
  return { url: server.url, source: "spawned", stop: server.stop };
}

/** Spawns `nats-server -js` on 127.0.0.1 (or where options.placement says) and resolves once it accepts clients. */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? requireNatsServer();
  const temporary = options.storeDir ? undefined : await fs.mkdtemp(path.join(os.tmpdir(), "triggers-nats-"));
  const storeDir = options.storeDir ?? temporary!;
  await fs.mkdir(storeDir, { recursive: true });

  // Port -1 lets the server choose, which avoids the race of picking a free port for it.
  const port = options.port ?? -1;
  const placement = options.placement ?? loopback;
  const monitor = options.monitorPort === undefined ? [] : ["-m", String(options.monitorPort)];
  const args = [
    "-js",
    "-a",
    placement.host,
    "-p",
    String(port),
    "-sd",
    storeDir,
    ...monitor,
    ...clusterArgs(options.cluster, placement.host),
  ];
  const command = placed(placement, binary, args);
  const child = spawn(command.command, command.args, { stdio: ["ignore", "pipe", "pipe"], detached: options.detached });
  const exit = watchExit(child);
  const output = new LineBuffer(50);

  const listening = new Promise<string>((resolve, reject) => {
    let address: string | undefined;
    eachLine([child.stdout, child.stderr], (line) => {
      output.push(line);
      options.onLine?.(line);
      address ??= /Listening for client connections on (\S+)/.exec(line)?.[1];
      if (address && line.includes("Server is ready")) resolve(address);
    });
    void exit.then((ended) =>
      reject(
        new LaunchError(
          `nats-server ${describeExit(ended)} while starting`,
          "read its output above; if its port is taken, stop what holds it or set NATS_URL to a NATS server with JetStream",
          output.lines(),
        ),
      ),
    );
  });

  const stop = async () => {
    await terminate(child, exit, { graceMs: 10_000 });
    if (temporary) await fs.rm(temporary, { recursive: true, force: true });
  };
  const kill = async () => {
    child.kill("SIGKILL");
    await exit;
  };
  try {
    return { url: `nats://${await listening}`, storeDir, stop, kill };
  } catch (error) {
    await stop();
    throw error;
  }
}

function clusterArgs(node: ClusterNode | undefined, host: string): string[] {
  if (!node) return [];
  const { serverName, clusterName, routePort, routes } = node;
  return ["-n", serverName, "--cluster_name", clusterName, "--cluster", `nats://${host}:${routePort}`, "--routes", routes.join(",")];
}

/**
 * Path of nats-server, or NatsServerMissingError. Besides the PATH we look in
 * the sbin folders because Debian's package installs to /usr/sbin, which is
 * not on a normal user's PATH there.
 */
export function requireNatsServer(dirs = searchDirs()): string {
  for (const dir of dirs) {
    const candidate = path.join(dir, "nats-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new NatsServerMissingError();
}

function searchDirs(): string[] {
  const fromPath = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  return [...fromPath, "/usr/local/sbin", "/usr/sbin"];
}
