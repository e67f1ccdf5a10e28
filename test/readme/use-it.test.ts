// README's "Use it", run as a newcomer runs it: every shell block in order against a private stack, each answer checked against the one shown.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import test from "ava";
import { freePort, isListening } from "../../tools/stack/ports.js";
import { REPO_ROOT } from "../../tools/stack/services.js";
import { eventually } from "../helpers/eventually.js";
import { startStack } from "../helpers/stack.js";
import { type AnotherTerminal, runInAnotherTerminal } from "./another-terminal.js";
import { type Block, exportedNames, readmeBlocks, type Step } from "./readme-blocks.js";
import { ShellSession } from "./shell-session.js";
import { asShown, isErrorBody, masked, matchesShown } from "./shown-answer.js";

const section = "Use it";
const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

// A read is asked again until it gives the answer shown, as a reader would: an event reaches the inbox, and its
// delivery is recorded, a moment after the publish answers. Nothing that changes anything is ever repeated.
const readRetryMs = 30_000;

/** The receiver's port, from its own command: the test moves it to a free one, in the subscription's URL too. */
function receiverPort(blocks: Block[]): number {
  const receiver = blocks.find((block) => block.kind === "another terminal");
  const port = receiver && /\.listen\((\d+)\)/.exec(receiver.steps[0]!.command)?.[1];
  if (!port) throw new Error("the README's receiver, in another terminal, listens on no port this test can find");
  return Number(port);
}

test("README use it - the walk-through is 23 shell blocks: one the test sets up, one it cannot run (tail, listen), one receiver in another terminal, 20 run in order", (t) => {
  const blocks = readmeBlocks(readme, section);
  t.deepEqual(
    blocks.map((block) => block.kind),
    [
      "not run",
      ...Array<string>(3).fill("run"),
      "not run",
      ...Array<string>(10).fill("run"),
      "another terminal",
      ...Array<string>(7).fill("run"),
    ],
  );
  const setUp = blocks.find((block) => block.kind === "not run")!;
  t.deepEqual(exportedNames(setUp).sort(), ["ADMIN_TOKEN", "TRIGGERS"], "the test sets exactly what the skipped block exports");
  t.is(receiverPort(blocks), 9999);
  const steps = blocks.flatMap((block) => block.steps);
  t.is(steps.length, 51);
  t.is(steps.filter((step) => step.shown !== undefined).length, 31, "commands followed by the answer they give");
  for (const step of steps) {
    const syntax = spawnSync("bash", ["-n", "-c", step.command], { encoding: "utf8" });
    t.is(syntax.status, 0, `README line ${step.line} is one whole command: ${syntax.stderr}`);
  }
});

test("README use it - every shell block runs in order against a real stack, with its receiver, and answers as shown", async (t) => {
  t.timeout(10 * 60_000);
  const stack = await startStack();
  t.teardown(() => stack.stop());
  const port = await freePort();
  const readersPort = new RegExp(`\\b${receiverPort(readmeBlocks(readme, section))}\\b`, "g");
  const blocks = readmeBlocks(readme.replace(readersPort, String(port)), section);
  const options = {
    cwd: REPO_ROOT,
    // Only what a reader's shell has, and what the skipped block exports: no variable of the test's own leaks in.
    env: {
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
      HOME: process.env.HOME ?? "/tmp",
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      TRIGGERS: stack.gatewayUrl,
      ADMIN_TOKEN: stack.adminToken,
    },
  };
  const session = new ShellSession(options);
  t.teardown(() => session.close());
  const terminals: { terminal: AnotherTerminal; step: Step }[] = [];
  t.teardown(() => Promise.all(terminals.map(({ terminal }) => terminal.stop())));

  for (const block of blocks) {
    if (block.kind === "not run") continue;
    if (block.kind === "another terminal") {
      t.is(block.steps.length, 1, `README line ${block.line}: one command runs in another terminal`);
      terminals.push({ terminal: runInAnotherTerminal(block.steps[0]!.command, options), step: block.steps[0]! });
      await eventually(async () => ((await isListening("127.0.0.1", port)) ? true : undefined), "the receiver to listen");
      continue;
    }
    for (const step of block.steps) await runStep(session, step);
  }

  for (const { terminal, step } of terminals) {
    if (step.shown === undefined) continue;
    const shown = step.shown;
    await eventually(() => (matchesShown(terminal.output(), shown) ? true : undefined), "the receiver's output").catch(() => {
      throw new Error(mismatch(step, terminal.output()));
    });
  }
  t.pass("every command answered as the README shows");
});

/** Runs one command; throws, ending the walk-through there, when it fails or does not answer as shown. */
async function runStep(session: ShellSession, step: Step): Promise<void> {
  const deadline = Date.now() + (isRead(step.command) ? readRetryMs : 0);
  for (;;) {
    const result = await session.run(step.command);
    const answered =
      result.status === 0 && (step.shown === undefined ? !isErrorBody(result.output) : matchesShown(result.output, step.shown));
    if (answered) return;
    if (Date.now() >= deadline) throw new Error(`${mismatch(step, result.output)}\nexit status ${result.status}\n${result.errors}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A plain curl GET, whose answer can change as the stack catches up, and which changes nothing itself. */
function isRead(command: string): boolean {
  return command.startsWith("curl ") && !/\s-X\s/.test(command) && !/\s-d\s/.test(command);
}

function mismatch(step: Step, output: string): string {
  const expected = step.shown === undefined ? "no error body" : masked(step.shown);
  return `README line ${step.line}:\n${step.command}\nanswered:\n${masked(asShown(output))}\nwhere the README shows:\n${expected}`;
}
