// Bounds how many tasks run at once: the rest wait their turn, first come first served.
export class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  /** Tasks running and waiting. */
  get load(): number {
    return this.#active + this.#waiting.length;
  }

  /** Waits for a free slot; the returned function gives it back, once. */
  async acquire(): Promise<() => void> {
    if (this.#active < this.max) this.#active++;
    // A finishing task hands its slot straight to the next waiter, so a newcomer cannot jump the queue.
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
