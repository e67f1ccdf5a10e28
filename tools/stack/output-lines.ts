// Turns a child's output streams into lines: prefixed for the terminal, and the last few kept for error reports.
import readline from "node:readline";
import type { Readable } from "node:stream";

/** Width of the name column, so `postgres` and `delivery` line up with shorter names. */
const NAME_WIDTH = 8;

/** Formats one line of output as `name     | line`. */
export function prefixLine(name: string, line: string): string {
  return `${name.padEnd(NAME_WIDTH)} | ${line}`;
}

/** Keeps the last `capacity` lines, so a failure can show what led to it without holding everything. */
export class LineBuffer {
  readonly #lines: string[] = [];

  constructor(readonly capacity = 200) {}

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.capacity) this.#lines.shift();
  }

  lines(): string[] {
    return [...this.#lines];
  }
}

/** Calls onLine for each complete line of every stream given (stdout and stderr alike). */
export function eachLine(streams: Array<Readable | null>, onLine: (line: string) => void): void {
  for (const stream of streams) {
    if (stream) readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
  }
}
