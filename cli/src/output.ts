// Where a command's results go: one JSON document on stdout with --output json, text for people otherwise; notes on stderr.
import { type DescMessage, type JsonValue, type MessageShape, toJson } from "@bufbuild/protobuf";

export type OutputFormat = "text" | "json";
export const outputFormats: readonly OutputFormat[] = ["text", "json"];

/** The JSON the REST API answers (proto field names, every field written), so scripts read the CLI's output as they read curl's. */
export function apiJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonValue {
  return toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true });
}

const clearLine = "\r\x1b[K";

export class Output {
  #status: string | undefined;

  constructor(
    readonly format: OutputFormat,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  get json(): boolean {
    return this.format === "json";
  }

  /** Whether a person watches stderr: progress is drawn only then. */
  get interactive(): boolean {
    return this.stderr.isTTY === true;
  }

  /** A command's result: `json` as one line of JSON in json mode, else the text `text()` makes. */
  result(json: unknown, text: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(json)}\n`);
    else this.stdout.write(`${text()}\n`);
  }

  /** One line of a stream's output (tail, listen), as it comes. */
  line(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  /** A line for the person at the terminal, never part of the result: stderr, in either mode, above any status line. */
  note(text: string): void {
    if (this.#status === undefined) this.stderr.write(`${text}\n`);
    else this.stderr.write(`${clearLine}${text}\n${this.#status}`);
  }

  /** A line kept at the bottom of the terminal and redrawn as it changes (a progress bar); undefined removes it. Drawn on a terminal only. */
  status(text: string | undefined): void {
    if (!this.interactive) return;
    this.stderr.write(`${clearLine}${text ?? ""}`);
    this.#status = text;
  }
}
