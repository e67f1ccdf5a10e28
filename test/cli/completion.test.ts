// The completion scripts, in memory and in real shells: written from the command tree, they complete its commands, options and choices.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import test from "ava";
import { bashScript, zshScript } from "../../cli/src/completion-script.js";
import { buildProgram } from "../../cli/src/program.js";

const run = promisify(execFile);
const program = buildProgram() as unknown as CommandUnknownOpts;

/** What bash's completion offers for a command line typed so far (the last word may be partly typed). */
async function bashCompletes(line: string[]): Promise<string[]> {
  const words = line.map((word) => `'${word}'`).join(" ");
  const script = `${bashScript(program)}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _triggers; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await run("bash", ["-c", script]);
  return stdout.split("\n").filter(Boolean);
}

/** The same in zsh, with compadd and _describe standing in for the completion system's, printing what they are given. */
async function zshCompletes(line: string[]): Promise<string[]> {
  const stubs = `compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }
_describe() { local -a items; items=("\${(@P)4}"); print -l -- "\${items[@]%%:*}"; }; _files() { print -- "(files)"; }`;
  const words = line.map((word) => `'${word}'`).join(" ");
  const script = `${stubs}\n${zshScript(program)}\nwords=(${words}); CURRENT=${line.length}; _triggers`;
  const { stdout } = await run("zsh", ["-f", "-c", script]);
  return stdout.split("\n").filter(Boolean);
}

test("cli - bash completes the commands, a group's subcommands, options, and an option's choices", async (t) => {
  const top = await bashCompletes(["triggers", ""]);
  for (const name of ["login", "send", "inbox", "events", "subscriptions", "deliveries", "replay", "keys", "completion", "--output"]) {
    t.true(top.includes(name), name);
  }
  t.deepEqual(await bashCompletes(["triggers", "inbox", ""]), ["list", "ack", "--output", "-o", "--config-dir", "--help"]);
  t.deepEqual(await bashCompletes(["triggers", "subscriptions", "r"]), ["resume", "rotate-secret"]);
  t.deepEqual(await bashCompletes(["triggers", "-o", "json", "inbox", "list", "--status", ""]), [
    "pending",
    "acked",
    "delivered",
    "failed",
    "all",
  ]);
  t.deepEqual(
    await bashCompletes(["triggers", "inbox", "list", "--type", "order.*", "--li"]),
    ["--limit"],
    "a value is not a command word",
  );
  t.deepEqual(await bashCompletes(["triggers", "inbox", "list", "--output", ""]), ["text", "json"], "global options anywhere");
  t.deepEqual(await bashCompletes(["triggers", "completion", ""]).then((words) => words.slice(0, 2)), ["bash", "zsh"]);
  t.deepEqual(await bashCompletes(["triggers", "inbox", "list", "--type", ""]), [], "a free value has no candidates");
});

test("cli - the zsh script is valid zsh and completes the commands, subcommands and choices", async (t) => {
  await t.notThrowsAsync(run("zsh", ["-n", "-c", zshScript(program)]));
  const top = await zshCompletes(["triggers", ""]);
  for (const name of ["login", "send", "inbox", "keys", "--output"]) t.true(top.includes(name), name);
  const inbox = await zshCompletes(["triggers", "inbox", ""]);
  t.true(inbox.includes("list") && inbox.includes("ack"));
  t.deepEqual(await zshCompletes(["triggers", "inbox", "list", "--status", ""]), ["pending", "acked", "delivered", "failed", "all"]);
  t.deepEqual(await zshCompletes(["triggers", "send", "--file", ""]), ["(files)"]);
});
