// Runs named child processes: starts them in order, waits for their health, restarts the ones that die, stops them all.
import { type ChildProcess, spawn } from "node:child_process";
import { cannotStartExitCode } from "../../services/shared/start-failure.js";
import { type ExitInfo, terminate, watchExit } from "./child-exit.js";
import { eachLine, LineBuffer, prefixLine } from "./output-lines.js";

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** When set, start() resolves only once a GET here answers 2xx. */
  healthUrl?: string;
}

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that stayed up this long starts again from initialDelayMs when it next dies. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, resetAfterMs: 30_000 };

export type SupervisorEvent =
  | { type: "started"; name: string; pid: number | undefined }
  | { type: "exited"; name: string; code: number | null; signal: NodeJS.Signals | null; restartInMs?: number };

export interface SupervisorOptions {
  /** Restart children that die unasked; false leaves them down. Defaults to DEFAULT_RESTART. */
  restart?: RestartPolicy | false;
  /** Receives every output line of every child, prefixed with its name. */
  print?: (line: string) => void;
  onEvent?: (event: SupervisorEvent) => void;
  /** How long a child gets after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  healthTimeoutMs?: number;
  /** Lines kept per child for logs(). */
  logLines?: number;
  /**
   * Run each child in a process group of its own. A terminal's Ctrl-C signals the whole
   * foreground group; a launcher that stops things in order itself wants its
   * children out of that group, while a test run wants them in it so an
   * interrupted run leaves nothing behind.
   */
  detached?: boolean;
}

export type SupervisorErrorCode = "unknown-child" | "duplicate" | "closed" | "already-running" | "not-running" | "exited" | "unhealthy";

export class SupervisorError extends Error {
  constructor(
    readonly code: SupervisorErrorCode,
    readonly child: string,
    message: string,
    readonly logs: string[] = [],
  ) {
    super(logs.length ? `${message}\nlast output of ${child}:\n${logs.join("\n")}` : message);
    this.name = "SupervisorError";
  }
}

interface Child {
  spec: ChildSpec;
  logs: LineBuffer;
  process?: ChildProcess;
  exit?: Promise<ExitInfo>;
  /** Whether the child should be running: false once stopped, or once it died with restarts off. */
  wanted: boolean;
  startedAt: number;
  nextDelayMs: number;
  restartTimer?: NodeJS.Timeout;
}

export class Supervisor {
  readonly #children = new Map<string, Child>();
  readonly #restart: RestartPolicy | false;
  readonly #options: SupervisorOptions;
  /** Set by stopAll(): a start racing with shutdown must not leave a child behind. */
  #closed = false;

  constructor(options: SupervisorOptions = {}) {
    this.#options = options;
    this.#restart = options.restart ?? DEFAULT_RESTART;
  }

  /** Registers a child; the order of add() is the order of startAll(). */
  add(spec: ChildSpec): void {
    if (this.#children.has(spec.name)) throw new SupervisorError("duplicate", spec.name, `${spec.name} is already added`);
    this.#children.set(spec.name, {
      spec,
      logs: new LineBuffer(this.#options.logLines),
      wanted: false,
      startedAt: 0,
      nextDelayMs: this.#restart ? this.#restart.initialDelayMs : 0,
    });
  }

  names(): string[] {
    return [...this.#children.keys()];
  }

  /** Starts every child in the order added, each once the previous one is healthy. */
  async startAll(): Promise<void> {
    for (const name of this.#children.keys()) await this.start(name);
  }

  /** Starts a child (cancelling a pending restart) and waits for its health URL. */
  async start(name: string): Promise<void> {
    const child = this.#get(name);
    if (this.#closed) throw new SupervisorError("closed", name, `cannot start ${name}: the supervisor is stopped`);
    if (child.process) throw new SupervisorError("already-running", name, `${name} is already running`);
    clearTimeout(child.restartTimer);
    child.wanted = true;
    if (this.#restart) child.nextDelayMs = this.#restart.initialDelayMs;
    this.#spawn(child);
    await this.#waitHealthy(child);
  }

  /**
   * Sends a signal and resolves once that process has exited. This is not a
   * stop: with restarts on, the child comes back as after any crash.
   */
  async kill(name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<ExitInfo> {
    const child = this.#get(name);
    if (!child.process || !child.exit) throw new SupervisorError("not-running", name, `${name} is not running`);
    child.process.kill(signal);
    return child.exit;
  }

  /** Stops a child for good: SIGTERM, then SIGKILL after the grace period. */
  async stop(name: string): Promise<ExitInfo | undefined> {
    const child = this.#get(name);
    child.wanted = false;
    clearTimeout(child.restartTimer);
    if (!child.process || !child.exit) return undefined;
    return terminate(child.process, child.exit, { graceMs: this.#options.stopGraceMs ?? 10_000 });
  }

  /**
   * Stops every child, the last started first, and tells how each ended (undefined: it was not running); the
   * supervisor starts nothing afterwards. In reverse order, a child finishing its requests in flight still has the
   * children it calls, which started before it.
   */
  async stopAll(): Promise<Map<string, ExitInfo | undefined>> {
    this.#closed = true;
    const names = this.names().reverse();
    for (const name of names) this.#get(name).wanted = false;
    const exits = new Map<string, ExitInfo | undefined>();
    for (const name of names) exits.set(name, await this.stop(name));
    return exits;
  }

  isRunning(name: string): boolean {
    return this.#get(name).process !== undefined;
  }

  /** The last output lines of a child, without prefix. */
  logs(name: string): string[] {
    return this.#get(name).logs.lines();
  }

  #get(name: string): Child {
    const child = this.#children.get(name);
    if (!child) throw new SupervisorError("unknown-child", name, `no child named ${name}`);
    return child;
  }

  #spawn(child: Child): void {
    const { name, command, args, env, cwd } = child.spec;
    const proc = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: this.#options.detached });
    const exit = watchExit(proc);
    child.process = proc;
    child.exit = exit;
    child.startedAt = Date.now();
    const onLine = (line: string) => {
      child.logs.push(line);
      this.#options.print?.(prefixLine(name, line));
    };
    eachLine([proc.stdout, proc.stderr], onLine);
    proc.once("error", (error) => onLine(`cannot run ${command}: ${error.message}`));
    void exit.then((info) => this.#onExit(child, proc, info));
    this.#options.onEvent?.({ type: "started", name, pid: proc.pid });
  }

  #onExit(child: Child, proc: ChildProcess, { code, signal }: ExitInfo): void {
    if (child.process === proc) {
      child.process = undefined;
      child.exit = undefined;
    }
    const name = child.spec.name;
    // A child that said starting again cannot help (a bad setting, a port taken) is left down, its reason shown once.
    if (!this.#restart || !child.wanted || code === cannotStartExitCode) {
      child.wanted = false;
      this.#options.onEvent?.({ type: "exited", name, code, signal });
      return;
    }
    if (Date.now() - child.startedAt >= this.#restart.resetAfterMs) child.nextDelayMs = this.#restart.initialDelayMs;
    const delay = child.nextDelayMs;
    child.nextDelayMs = Math.min(delay * 2, this.#restart.maxDelayMs);
    this.#options.onEvent?.({ type: "exited", name, code, signal, restartInMs: delay });
    child.restartTimer = setTimeout(() => {
      child.restartTimer = undefined;
      if (child.wanted && !child.process) this.#spawn(child);
    }, delay);
  }

  async #waitHealthy(child: Child): Promise<void> {
    const { name, healthUrl } = child.spec;
    if (!healthUrl) return;
    const deadline = Date.now() + (this.#options.healthTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      // With restarts on, a crash during start keeps us waiting for the restarted process.
      if (!child.wanted) {
        throw new SupervisorError("exited", name, `${name} exited before ${healthUrl} answered`, child.logs.lines());
      }
      if (child.process && (await answers(healthUrl))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new SupervisorError("unhealthy", name, `${name} did not answer ${healthUrl} in time`, child.logs.lines());
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** A one-line account of an event, for the launcher's own output. */
export function describeEvent(event: SupervisorEvent): string {
  if (event.type === "started") return `${event.name} started (pid ${event.pid ?? "none"})`;
  const how = event.signal ? `signal ${event.signal}` : `code ${event.code}`;
  if (event.restartInMs === undefined) return `${event.name} exited (${how})`;
  return `${event.name} exited (${how}); restarting in ${event.restartInMs / 1000} s`;
}
