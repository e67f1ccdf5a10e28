// An NDJSON file read twice: once whole for its digest and line count, then line by line, so a file of any size fits in memory.
import { createHash } from "node:crypto";
import fs from "node:fs";
import readline from "node:readline";
import { UsageError } from "./command-errors.js";

export interface FileScan {
  /** SHA-256 of the file's bytes, in hex. */
  digest: string;
  lines: number;
}

export async function scanFile(file: string): Promise<FileScan> {
  const hash = createHash("sha256");
  let lines = 0;
  let last = 0x0a;
  try {
    for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      for (const byte of chunk) if (byte === 0x0a) lines++;
      last = chunk[chunk.length - 1] ?? last;
    }
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, "give the path of an NDJSON file, one JSON event a line");
  }
  // A last line without its newline is a line too.
  return { digest: hash.digest("hex"), lines: last === 0x0a ? lines : lines + 1 };
}

/** Every line with its number, from 1. */
export async function* fileLines(file: string): AsyncGenerator<{ number: number; text: string }> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const text of lines) yield { number: ++number, text };
}
