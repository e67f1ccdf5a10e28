// One line saying what the bench is doing and for how long: rewritten in place on a terminal, one line a step elsewhere.

export class Progress {
  #what = "";
  #since = 0;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #tty = process.stderr.isTTY;

  constructor() {
    this.#timer = this.#tty ? setInterval(() => this.#draw(), 1000).unref() : undefined;
  }

  step(what: string): void {
    if (this.#tty && this.#what) process.stderr.write("\n");
    this.#what = what;
    this.#since = performance.now();
    if (this.#tty) this.#draw();
    else process.stderr.write(`bench: ${what}\n`);
  }

  done(): void {
    clearInterval(this.#timer);
    if (this.#tty && this.#what) process.stderr.write("\n");
  }

  #draw(): void {
    const seconds = Math.round((performance.now() - this.#since) / 1000);
    process.stderr.write(`\r\x1b[2Kbench: ${this.#what} (${seconds} s)`);
  }
}
