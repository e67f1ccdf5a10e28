// How every harness undoes what it started: in reverse order, each step once, also when starting failed half-way.

export class Teardown {
  readonly #steps: Array<() => Promise<unknown>> = [];
  #done: Promise<void> | undefined;

  /** Registers what undoes the thing just started. */
  add(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  /** Runs every step, the last added first; a failing step is reported and the others still run. Safe to call twice. */
  run(): Promise<void> {
    this.#done ??= (async () => {
      for (const step of this.#steps.reverse()) await step().catch((error: Error) => console.error(`teardown: ${error.message}`));
    })();
    return this.#done;
  }

  /** Starts something with this teardown; if starting throws, undoes what had been started, then rethrows. */
  async start<T>(starting: (teardown: Teardown) => Promise<T>): Promise<T> {
    try {
      return await starting(this);
    } catch (error) {
      await this.run();
      throw error;
    }
  }
}
