// One bash session that runs commands one after another, as a reader types them, keeping its variables between them.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface CommandResult {
  output: string;
  errors: string;
  status: number;
}

export class ShellSession {
  readonly #shell: ChildProcessWithoutNullStreams;
  // Printed after each command with its exit status: nothing a command prints can look like it.
  readonly #marker = `__command_done_${randomBytes(8).toString("hex")}__`;
  #output = "";
  #errors = "";
  #waiting?: () => void;

  constructor(options: { cwd: string; env: Record<string, string> }) {
    this.#shell = spawn("bash", ["--noprofile", "--norc"], { cwd: options.cwd, env: options.env });
    this.#shell.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.#output += chunk;
      this.#waiting?.();
    });
    this.#shell.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.#errors += chunk;
    });
    this.#shell.on("exit", () => this.#waiting?.());
  }

  /** Runs one command and resolves with what it printed and its exit status; it fails after timeoutMs. */
  async run(command: string, timeoutMs = 60_000): Promise<CommandResult> {
    this.#output = "";
    this.#errors = "";
    // Commands read no input: the session's own input is the next commands.
    this.#shell.stdin.write(`{\n${command}\n} </dev/null\nprintf '\\n${this.#marker} %d\\n' "$?"\n`);
    const done = new RegExp(`\\n${this.#marker} (\\d+)\\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = done.exec(this.#output);
      if (end) return { output: this.#output.slice(0, end.index), errors: this.#errors, status: Number(end[1]) };
      if (this.#shell.exitCode !== null) throw new Error(`the shell exited while running: ${command}\n${this.#errors}`);
      if (Date.now() > deadline) throw new Error(`no end after ${timeoutMs} ms of: ${command}\n${this.#output}\n${this.#errors}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.#shell.stdin.end();
    this.#shell.kill();
  }
}
