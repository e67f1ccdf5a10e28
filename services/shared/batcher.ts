// Gathers what arrives while a write is under way into the next write: batches grow with the load, latency does not.

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class Batcher<T, R> {
  readonly #queue: Waiting<T, R>[] = [];
  #draining: Promise<void> | undefined;

  /** write gets the items of a batch, in the order they came, and its result or error goes to each of them. */
  constructor(
    private readonly write: (items: T[]) => Promise<R>,
    private readonly maxBatch: number,
  ) {}

  /** Nothing waits and no write is under way: a batcher kept per key may then be dropped. */
  get idle(): boolean {
    return this.#draining === undefined;
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
      try {
        const result = await this.write(batch.map(({ item }) => item));
        for (const { resolve } of batch) resolve(result);
      } catch (err) {
        for (const { reject } of batch) reject(err);
      }
    }
    this.#draining = undefined;
  }
}
