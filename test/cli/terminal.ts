// A real terminal for the CLI: a tmux session on a private server, typed into with send-keys and read with capture-pane.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { eventually } from "../helpers/eventually.js";

const run = promisify(execFile);

export interface Terminal {
  /** The screen as it is now, wrapped lines joined. */
  screen(): Promise<string>;
  /** Polls the screen until it matches, and returns the match. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Keys as tmux names them: "C-c", "Enter", or text. */
  press(...keys: string[]): Promise<void>;
  /** Ends the session and its server, and the programs in it. */
  close(): Promise<void>;
}

/**
 * Runs `command` (the program and its arguments) in a 200x50 terminal with `env` set. When the program exits, the
 * pane says `[exited <code>]` and stays, so that its last words can be read.
 */
export async function openTerminal(command: string[], env: Record<string, string>): Promise<Terminal> {
  const server = `triggers-test-${randomBytes(4).toString("hex")}`;
  const tmux = (...args: string[]) => run("tmux", ["-L", server, ...args]);
  const quoted = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  // The tmux server has this process's environment: a TRIGGERS_* variable of the developer's must not reach the CLI.
  const unset = Object.keys(process.env)
    .filter((name) => name.startsWith("TRIGGERS_"))
    .map((name) => `-u ${name}`);
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${quoted(value)}`);
  const script = `env ${[...unset, ...assignments].join(" ")} ${command.map(quoted).join(" ")}; echo "[exited $?]"; sleep 3600`;
  await tmux("new-session", "-d", "-s", "cli", "-x", "200", "-y", "50", script);
  const screen = async () => (await tmux("capture-pane", "-p", "-J", "-t", "cli")).stdout;
  return {
    screen,
    waitFor: (pattern) =>
      eventually(async () => pattern.exec(await screen()) ?? undefined, `${pattern} on the screen`).catch(async (err: Error) => {
        throw new Error(`${err.message}; the screen:\n${await screen()}`);
      }),
    press: async (...keys) => {
      await tmux("send-keys", "-t", "cli", ...keys);
    },
    close: async () => {
      await tmux("kill-server").catch(() => undefined);
    },
  };
}
