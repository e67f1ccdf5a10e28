// The CLI as users get it: `npx triggers` in the repository, and the npm pack tarball installed in an empty project, publishing to a stack.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { Triggers } from "../../sdk/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { root } from "./run-cli.js";

const run = promisify(execFile);

let stack: Stack;
let scratch: string;
let tarball: string;

test.before(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "triggers-cli-pack-"));
  // npm pack runs the package's prepack script, which bundles cli/dist/triggers.js.
  const packing = run("npm", ["pack", "./cli", "--json", "--pack-destination", scratch], { cwd: root });
  stack = await startStack();
  tarball = path.join(scratch, JSON.parse((await packing).stdout)[0].filename);
});

test.after.always(async () => {
  await stack?.stop();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

test("cli - npx triggers runs from the repository's root once built", async (t) => {
  const { stdout } = await run("npx", ["--no-install", "triggers", "--help"], { cwd: root });
  t.regex(stdout, /^Usage: triggers \[options\] \[command\]/);
});

test("cli - the packed tarball holds one bundle and no dependencies, and its bin works in an empty project", async (t) => {
  const { stdout: listing } = await run("tar", ["-tzf", tarball]);
  t.deepEqual(listing.split("\n").filter(Boolean).sort(), [
    "package/README.md",
    "package/bin/triggers.js",
    "package/dist/triggers.js",
    "package/package.json",
  ]);

  const project = path.join(scratch, "empty");
  await fs.mkdir(project);
  await fs.writeFile(path.join(project, "package.json"), JSON.stringify({ name: "empty", private: true }));
  await run("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project });
  const installed = JSON.parse(await fs.readFile(path.join(project, "node_modules/@triggers/cli/package.json"), "utf8"));
  t.is(installed.dependencies, undefined, "everything is in the bundle");

  const bin = path.join(project, "node_modules/.bin/triggers");
  t.is((await run(bin, ["--version"], { cwd: project })).stdout, `${installed.version}\n`);
  const { key } = await stack.createOrg();
  const env = { ...process.env, TRIGGERS_URL: stack.gatewayUrl, TRIGGERS_API_KEY: key, TRIGGERS_CONFIG_DIR: path.join(project, "config") };
  const { stdout } = await run("npx", ["--no-install", "triggers", "send", "order.created", "--data", '{"order_id": 42}', "-o", "json"], {
    cwd: project,
    env,
  });
  const { id } = JSON.parse(stdout);
  const triggers = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key });
  const read = await eventually(() => triggers.events.get(id).catch(() => undefined), "the event");
  t.like(read.event, { id, type: "order.created", data: { order_id: 42 } });
});
