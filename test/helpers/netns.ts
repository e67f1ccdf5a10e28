// Network namespaces for tests that cut links: hosts of their own on bridges of their own, reachable from this process
// and from nowhere else, removed again afterwards (also those a killed run left behind).
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { Placement } from "../../tools/stack/placement.js";

/*
 * The topology: a hub namespace holds one bridge per net; every host is a namespace of its own with one veth per net
 * it is on, whose other end is a port of that net's bridge; this process's namespace has one veth per net too, so that
 * the test reaches every host. Each net is a /24 of 10.0.0.0/8 that no route of this machine covers, picked at random
 * per run; no namespace has a default route and none forwards, so that nothing leaves for the machine's own network.
 * Cutting a host off a net sets its bridge port down: its packets are dropped silently, as in a real partition, while
 * its own interface stays configured. Removing the hub removes every veth, this process's ones included.
 */

const runIp = promisify(execFile);

/** Names of this helper's namespaces: the owner's pid tells a live run's from one a killed run left behind. */
const prefix = "triggers-";
const ownName = /^triggers-(\d+)-[0-9a-f]{6}-/;
const endingSignals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

export interface TestNetwork {
  /** Each net's CIDR, as DELIVERY_ALLOWED_NETWORKS takes it. */
  subnet(net: string): string;
  /** This process's address on a net. */
  rootAddress(net: string): string;
  /** A namespace of its own on the given nets; name must be unique in the network (letters, digits, dashes). */
  addHost(name: string, nets: string[]): Promise<NetnsHost>;
  /** Ends what still runs in the hosts, then removes them, the bridges and every veth. Safe to call twice. */
  remove(): Promise<void>;
}

export interface NetnsHost {
  name: string;
  namespace: string;
  address(net: string): string;
  /** Where a process runs in this host, listening on its address on a net. */
  placement(net: string): Placement;
  /** Cuts the host off a net: its packets on it are dropped from now on, both ways. */
  cut(net: string): Promise<void>;
  /** Joins it to the net again. */
  heal(net: string): Promise<void>;
}

/**
 * Why this process cannot make namespaces, or undefined when it can: it tries, as a container without CAP_SYS_ADMIN
 * fails even as root.
 */
export async function namespacesUnavailable(): Promise<string | undefined> {
  if (process.platform !== "linux") return `network namespaces are Linux's, and this is ${process.platform}`;
  const uid = process.getuid?.();
  if (uid !== 0) return `not root (uid ${uid}): ip netns add needs CAP_SYS_ADMIN`;
  try {
    await runIp("ip", ["-V"]);
  } catch {
    return "iproute2's ip is not on the PATH (apt-get install iproute2)";
  }
  const probe = `${prefix}${process.pid}-${randomBytes(3).toString("hex")}-probe`;
  try {
    await ip(["netns", "add", probe]);
    await ip(
      ["-n", probe, "-batch", "-"],
      ["link add name probe0 type veth peer name probe1", "link add name probebr type bridge", "link set dev probe0 master probebr"],
    );
    return undefined;
  } catch (error) {
    return `cannot make a network namespace with a bridge and a veth pair: ${(error as Error).message}`;
  } finally {
    await ip(["netns", "del", probe]).catch(() => {});
  }
}

export async function createTestNetwork(nets: string[]): Promise<TestNetwork> {
  await removeLeftovers();
  const id = randomBytes(3).toString("hex");
  const namespace = (name: string) => `${prefix}${process.pid}-${id}-${name}`;
  const hub = namespace("hub");
  const subnets = new Map(nets.map((net, i) => [net, i]));
  const base = await unusedSubnets(nets.length);
  const netIndex = (net: string) => {
    const index = subnets.get(net);
    if (index === undefined) throw new Error(`no net named ${net} in this test network`);
    return index;
  };
  const address = (net: string, host: number) => `10.${base[0]}.${base[1] + netIndex(net)}.${host}`;
  const namespaces = [hub];
  // This process's ends of the nets: they would go with the hub, but only once the kernel has cleaned it up.
  const rootLinks = nets.map((_, k) => `trg${id}${k}`);
  let removed: Promise<void> | undefined;

  const remove = () =>
    (removed ??= (async () => {
      process.off("exit", removeNow);
      for (const signal of endingSignals) process.off(signal, onSignal);
      for (const link of rootLinks) await ip(["link", "del", "dev", link]).catch(() => {});
      await removeNamespaces(namespaces);
    })());
  // A test that throws past its teardown, or a worker that exits, still leaves nothing behind.
  const removeNow = () => {
    if (removed) return;
    for (const link of rootLinks) {
      try {
        execFileSync("ip", ["link", "del", "dev", link], { stdio: "ignore" });
      } catch {
        // Not made, or gone already.
      }
    }
    removeNamespacesNow(namespaces);
  };
  // ava ends a worker that timed out with SIGTERM, which skips "exit": clean up, then end as the signal would have.
  const onSignal = (signal: NodeJS.Signals) => {
    removeNow();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on("exit", removeNow);
  for (const signal of endingSignals) process.once(signal, onSignal);

  try {
    await ip(["netns", "add", hub]);
    await ip(
      ["-n", hub, "-batch", "-"],
      nets.flatMap((_, k) => [`link add name br${k} type bridge`, `link set dev br${k} up`]),
    );
    // This process's end of each net, made here with its peer in the hub.
    await ip(
      ["-batch", "-"],
      nets.flatMap((net, k) => [
        `link add name ${rootLinks[k]} type veth peer name root${k} netns ${hub}`,
        `address add ${address(net, 1)}/24 dev ${rootLinks[k]}`,
        `link set dev ${rootLinks[k]} up`,
      ]),
    );
    await ip(
      ["-n", hub, "-batch", "-"],
      nets.map((_, k) => `link set dev root${k} master br${k} up`),
    );
  } catch (error) {
    await remove();
    throw error;
  }

  let hosts = 0;
  return {
    subnet: (net) => `${address(net, 0)}/24`,
    rootAddress: (net) => address(net, 1),
    async addHost(name, hostNets) {
      // Addresses from .10 on: .1 is this process's.
      const number = 10 + hosts++;
      if (number > 254) throw new Error("a test network holds at most 245 hosts");
      const hostNamespace = namespace(name);
      namespaces.push(hostNamespace);
      const port = (net: string) => `h${number}n${netIndex(net)}`;
      await ip(["netns", "add", hostNamespace]);
      await ip(
        ["-n", hub, "-batch", "-"],
        hostNets.flatMap((net) => [
          `link add name ${port(net)} type veth peer name ${net} netns ${hostNamespace}`,
          `link set dev ${port(net)} master br${netIndex(net)} up`,
        ]),
      );
      await ip(
        ["-n", hostNamespace, "-batch", "-"],
        [
          "link set dev lo up",
          ...hostNets.flatMap((net) => [`address add ${address(net, number)}/24 dev ${net}`, `link set dev ${net} up`]),
        ],
      );
      const setPort = (net: string, state: "up" | "down") => ip(["-n", hub, "link", "set", "dev", port(net), state]);
      return {
        name,
        namespace: hostNamespace,
        address: (net) => address(net, number),
        placement: (net) => ({
          host: address(net, number),
          wrap: (command, args) => ({ command: "ip", args: ["netns", "exec", hostNamespace, command, ...args] }),
        }),
        cut: (net) => setPort(net, "down"),
        heal: (net) => setPort(net, "up"),
      };
    },
    remove,
  };
}

/** Runs ip; with lines, as a batch read from its stdin. Fails with what ip wrote to stderr. */
function ip(args: string[], lines?: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", args, { stdio: [lines ? "pipe" : "ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`ip ${args.join(" ")} failed (code ${code}): ${stderr.trim()}`)),
    );
    // ip reports a failed line itself; a write to an ip that has already exited must not end the process.
    child.stdin?.on("error", () => {});
    child.stdin?.end(`${lines?.join("\n")}\n`);
  });
}

/** SIGKILL for whatever still runs in the namespaces (processes the test started there), then deletes them. */
async function removeNamespaces(namespaces: string[]): Promise<void> {
  for (const namespace of [...namespaces].reverse()) {
    const { stdout } = await runIp("ip", ["netns", "pids", namespace]).catch(() => ({ stdout: "" }));
    for (const pid of stdout.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
    await ip(["netns", "del", namespace]).catch(() => {});
  }
}

function removeNamespacesNow(namespaces: string[]): void {
  for (const namespace of [...namespaces].reverse()) {
    try {
      const pids = execFileSync("ip", ["netns", "pids", namespace], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      for (const pid of pids.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
      execFileSync("ip", ["netns", "del", namespace], { stdio: "ignore" });
    } catch {
      // Already gone.
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Exited meanwhile.
  }
}

/** The namespaces of runs whose process is gone (killed by a timeout, say), and what still runs in them. */
async function removeLeftovers(): Promise<void> {
  const { stdout } = await runIp("ip", ["netns", "list"]);
  const names = stdout.split("\n").map((line) => line.split(" ")[0]!);
  const stale = names.filter((name) => {
    const owner = ownName.exec(name)?.[1];
    return owner !== undefined && !alive(Number(owner));
  });
  await removeNamespaces(stale);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Two numbers x, y such that 10.x.y.0/24 to 10.x.(y+count-1).0/24 overlap no route or address of this machine. */
async function unusedSubnets(count: number): Promise<[number, number]> {
  const { stdout } = await runIp("ip", ["-4", "route", "show", "table", "all"]);
  const taken = stdout
    .split("\n")
    .map((line) => /^(?:\S+ )?(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ start: toNumber(match[1]!), bits: Number(match[2] ?? 32) }));
  const overlaps = (start: number, bits: number) =>
    taken.some((route) => {
      const common = Math.min(bits, route.bits);
      const mask = common === 0 ? 0 : (~0 << (32 - common)) >>> 0;
      return (start & mask) >>> 0 === (route.start & mask) >>> 0;
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const x = 100 + Math.floor(Math.random() * 100);
    const y = Math.floor(Math.random() * (256 - count));
    const subnets = Array.from({ length: count }, (_, k) => toNumber(`10.${x}.${y + k}.0`));
    if (!subnets.some((start) => overlaps(start, 24))) return [x, y];
  }
  throw new Error("found no free 10.x.y.0/24 for a test network");
}

function toNumber(address: string): number {
  return address.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
}
