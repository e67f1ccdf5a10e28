// The network namespaces the partitions test builds (test/helpers/netns.ts): hosts this process reaches, cut and healed
// by their bridge port, with no way out to the machine's network, and nothing left once removed.
import { execFile, spawn } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import test from "ava";
import { watchExit } from "../../tools/stack/child-exit.js";
import { placed } from "../../tools/stack/placement.js";
import { eventually } from "../helpers/eventually.js";
import { createTestNetwork, namespacesUnavailable } from "../helpers/netns.js";

const run = promisify(execFile);
const titles = {
  host: "netns - a host is reached on its net, cut off and healed by its bridge port, has no route out, and leaves nothing once removed",
  leftovers: "netns - the namespaces of a run whose process is gone are removed by the next run, with what still runs in them",
  signal: "netns - a process ended by SIGTERM, as ava ends a worker that timed out, removes its namespaces first",
};

const repoRoot = new URL("../../", import.meta.url);

const unavailable = await namespacesUnavailable();
if (unavailable) {
  for (const title of Object.values(titles)) test.skip(`${title} (skipped: ${unavailable})`, () => {});
} else {
  test.serial(titles.leftovers, async (t) => {
    // The pid of a process that has exited, as a killed run's would be.
    const gone = spawn(process.execPath, ["-e", ""]);
    await watchExit(gone);
    const leftover = `triggers-${gone.pid}-abcdef-hub`;
    await run("ip", ["netns", "add", leftover]);
    t.teardown(() => run("ip", ["netns", "del", leftover]).catch(() => {}));
    const sleeper = spawn("ip", ["netns", "exec", leftover, "sleep", "600"]);
    t.teardown(() => sleeper.kill("SIGKILL"));
    const sleeperExit = watchExit(sleeper);
    await eventually(async () => ((await run("ip", ["netns", "pids", leftover])).stdout.trim() ? true : undefined), "the sleeper in it");

    const network = await createTestNetwork(["a"]);
    t.teardown(network.remove);
    const { stdout } = await run("ip", ["netns", "list"]);
    t.false(stdout.includes(leftover), "the leftover namespace is gone");
    t.is((await sleeperExit).signal, "SIGKILL", "what ran in it is ended");
  });

  test.serial(titles.signal, async (t) => {
    const script = [
      'import { createTestNetwork } from "./test/helpers/netns.ts";',
      'const network = await createTestNetwork(["a"]);',
      'console.log((await network.addHost("x", ["a"])).namespace);',
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exit = watchExit(child);
    t.teardown(() => child.kill("SIGKILL"));
    const namespace = await new Promise<string>((resolve) => child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim())));
    t.true((await run("ip", ["netns", "list"])).stdout.includes(namespace));

    child.kill("SIGTERM");
    t.is((await exit).signal, "SIGTERM", "it still ends as SIGTERM ends it");
    t.false((await run("ip", ["netns", "list"])).stdout.includes(namespace), "its namespaces are gone");
  });

  test.serial(titles.host, async (t) => {
    const network = await createTestNetwork(["a", "b"]);
    t.teardown(network.remove);
    const host = await network.addHost("echo", ["a", "b"]);
    const port = 7000;
    // A process in the host, listening on its address on net a: an echo server.
    const script = `require("net").createServer((s) => s.pipe(s)).listen(${port}, ${JSON.stringify(host.address("a"))}, () => console.log("up"))`;
    const command = placed(host.placement("a"), process.execPath, ["-e", script]);
    const child = spawn(command.command, command.args, { stdio: ["ignore", "pipe", "inherit"] });
    const exit = watchExit(child);
    await new Promise((resolve) => child.stdout.once("data", resolve));

    t.true(await echoes(host.address("a"), port), "reached from this process");
    await host.cut("a");
    t.false(await echoes(host.address("a"), port), "not reached once cut");
    await host.heal("a");
    await eventually(async () => ((await echoes(host.address("a"), port)) ? true : undefined), "reached again once healed");

    const { stdout: routes } = await run("ip", ["-n", host.namespace, "-4", "route", "show", "table", "all"]);
    t.false(/^default/m.test(routes), "no default route in the host");
    t.regex(routes, new RegExp(`^${network.subnet("a").replace(/\./g, "\\.")} dev a`, "m"));

    await network.remove();
    t.not((await exit).signal, null, "what ran in the host is ended with it");
    const { stdout: namespaces } = await run("ip", ["netns", "list"]);
    t.false(namespaces.includes(host.namespace), "the host's namespace is gone");
    const { stdout: addresses } = await run("ip", ["-4", "-o", "address"]);
    t.false(addresses.includes(`${network.rootAddress("a")}/24`), "this process's end of the net is gone");
  });
}

/** Whether a connection to address:port echoes a line back within a second. */
function echoes(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), 1_000);
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("ping\n"));
    socket.once("data", (data) => done(data.toString() === "ping\n"));
  });
}
