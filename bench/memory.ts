// The services' resident memory: once idle, then sampled through the loads for its peak.
import { rssMb } from "./processes.js";

export type MemoryByService = Record<string, number | undefined>;

export class MemoryWatch {
  readonly #peaks: MemoryByService = {};
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number | undefined>) {}

  async now(): Promise<MemoryByService> {
    const entries = await Promise.all(Object.entries(this.pids).map(async ([name, pid]) => [name, await rssMb(pid)] as const));
    return Object.fromEntries(entries);
  }

  /** Samples twice a second until stop(), keeping each service's highest reading. */
  start(): void {
    this.#timer = setInterval(() => void this.#sample(), 500);
  }

  async stop(): Promise<MemoryByService> {
    clearInterval(this.#timer);
    await this.#sample();
    return { ...this.#peaks };
  }

  async #sample(): Promise<void> {
    for (const [name, mb] of Object.entries(await this.now())) {
      if (mb !== undefined) this.#peaks[name] = Math.max(this.#peaks[name] ?? 0, mb);
    }
  }
}
