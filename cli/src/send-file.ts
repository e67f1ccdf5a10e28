// send --file: an NDJSON file's events in batches, each with the idempotency key `<run id>:<line number>`, so that a
// rerun of the same file after a crash stores nothing twice: what was stored before answers as a duplicate.
import { Code, ErrorReason, type EventInit, type Triggers, TriggersError } from "../../sdk/src/index.js";
import { InvalidEvent, parseEvent } from "./event-input.js";
import { fileLines, scanFile } from "./ndjson-file.js";
import type { Output } from "./output.js";
import { progressBar } from "./progress-bar.js";

/** The API takes 1000 events a call and 5 MiB a body; a batch is cut at whichever comes first, with room to spare. */
export const maxBatchEvents = 1000;
const maxBatchBytes = 4 * 1024 * 1024;
/** 429s are waited out: a file larger than the plan's minute takes the minutes it needs, a wait or two a batch. */
const batchRetries = 10;

export interface Refusal {
  line: number;
  reason: string;
  /** The event's field at fault, such as `type`, when the API named one. */
  field?: string;
}

export interface SendFileSummary {
  file: string;
  runId: string;
  /** Lines holding something: blank lines are skipped. */
  lines: number;
  accepted: number;
  duplicate: number;
  refused: Refusal[];
  elapsedMs: number;
  /** Why sending stopped before the end, and at which line: rerun to go on. */
  stopped?: { line: number; error: unknown };
}

export interface SendFileOptions {
  file: string;
  /** Where keys come from; the first 16 hex digits of the file's SHA-256 when not given, so a rerun of the same file gets the same keys. */
  runId?: string;
  batchSize: number;
  client: Triggers;
  output: Output;
}

interface Line {
  number: number;
  event: EventInit;
}

export async function sendFile(options: SendFileOptions): Promise<SendFileSummary> {
  const { file, client, output } = options;
  const scan = await scanFile(file);
  const started = Date.now();
  const summary: SendFileSummary = {
    file,
    runId: options.runId ?? scan.digest.slice(0, 16),
    lines: 0,
    accepted: 0,
    duplicate: 0,
    refused: [],
    elapsedMs: 0,
  };
  const showProgress = (done: number) =>
    output.status(
      progressBar(
        { done, total: scan.lines, events: summary.accepted + summary.duplicate, elapsedMs: Date.now() - started },
        process.stderr.columns,
      ),
    );

  /** Publishes a batch; one too large for the API (its body, or more events than the org's plan allows a minute) is halved. */
  const publish = async (batch: Line[]): Promise<void> => {
    let response: Awaited<ReturnType<Triggers["events"]["publishBatch"]>>;
    try {
      response = await client.events.publishBatch(
        batch.map((line) => line.event),
        { maxRetries: batchRetries },
      );
    } catch (err) {
      if (!tooLarge(err) || batch.length === 1) throw err;
      const half = Math.ceil(batch.length / 2);
      await publish(batch.slice(0, half));
      await publish(batch.slice(half));
      return;
    }
    response.results.forEach((result, index) => {
      const line = batch[index]!;
      if (result.result.case === "accepted") {
        if (result.result.value.duplicate) summary.duplicate++;
        else summary.accepted++;
      } else {
        const error = result.result.value;
        const field = error?.info?.field.replace(/^events\[\d+\]\./, "") || undefined;
        summary.refused.push({ line: line.number, reason: error?.message ?? "refused", field });
      }
    });
    showProgress(batch[batch.length - 1]!.number);
  };

  let batch: Line[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    bytes = 0;
    try {
      await publish(sending);
    } catch (err) {
      summary.stopped = { line: sending[0]!.number, error: err };
    }
  };
  showProgress(0);
  for await (const { number, text } of fileLines(file)) {
    if (text.trim() === "") continue;
    summary.lines++;
    let event: EventInit;
    try {
      event = parseEvent(text);
    } catch (err) {
      if (!(err instanceof InvalidEvent)) throw err;
      summary.refused.push({ line: number, reason: err.message });
      continue;
    }
    // A line's own key wins: it is already what makes that event unique.
    batch.push({ number, event: { ...event, idempotencyKey: event.idempotencyKey ?? `${summary.runId}:${number}` } });
    bytes += text.length;
    if (batch.length >= options.batchSize || bytes >= maxBatchBytes) await flush();
    if (summary.stopped) break;
  }
  await flush();
  output.status(undefined);
  summary.refused.sort((a, b) => a.line - b.line);
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/** Too many events or bytes at once: the API's 413, or the transport's limit on a message. Not a rate limit, which is waited out. */
function tooLarge(err: unknown): boolean {
  return err instanceof TriggersError && err.code === Code.ResourceExhausted && err.reason !== ErrorReason.RATE_LIMITED;
}
