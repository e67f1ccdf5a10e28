// triggers send: one event from the command line or stdin, or every line of an NDJSON file in batches.
import type { Command } from "@commander-js/extra-typings";
import { PublishEventResponseSchema } from "../../../sdk/src/connect.js";
import type { EventInit } from "../../../sdk/src/index.js";
import { CommandFailure, UsageError } from "../command-errors.js";
import { contextOf } from "../context.js";
import { InvalidEvent, parseData, parseEvent } from "../event-input.js";
import { count } from "../format.js";
import { integerIn, timeValue } from "../option-values.js";
import { apiJson } from "../output.js";
import { maxBatchEvents, type SendFileSummary, sendFile } from "../send-file.js";
import { readStdin, stdinIsPiped } from "../stdin.js";

// The run id goes into keys of at most 255 printable characters, with room for ":" and a line number.
const runIdPattern = /^[\x21-\x7e]{1,200}$/;
/** Refusals a terminal shows; --output json lists them all. */
const refusalsShown = 50;

export function registerSend(program: Command): void {
  program
    .command("send")
    .description("publish an event (a type and --data, or a JSON event on stdin), or every line of an NDJSON file")
    .argument("[type]", "the event's type, such as order.created")
    .option("-d, --data <json>", "the payload, a JSON object: '{\"order_id\": 42}'")
    .option("-s, --source <source>", "who says it happened: a URI or a name")
    .option("--occurred-at <time>", "when it happened (default: when received)", (value) => timeValue(value))
    .option("--idempotency-key <key>", "sending again with the same key within 24 hours stores nothing new")
    .option("-f, --file <path>", "an NDJSON file: one JSON event a line, sent in batches")
    .option("--run-id <id>", "with --file: what each line's idempotency key starts with (default: from the file's SHA-256)")
    .option("--batch-size <n>", "with --file: events a call, at most 1000", integerIn(1, maxBatchEvents), maxBatchEvents)
    .addHelpText(
      "after",
      `
Examples:
  triggers send order.created --data '{"order_id": 42}' --source shop
  echo '{"type": "order.created", "data": {"order_id": 42}}' | triggers send
  triggers send --file events.ndjson

A line of a file, or an event on stdin, is a JSON object with type and, if you like, source, data, occurred_at
and idempotency_key. Each line without a key gets "<run id>:<line number>": run the same command again after a
crash and the lines stored before answer as duplicates. The run id comes from the file's content, so an edited
file is a new run; give --run-id (the summary prints it) to resend a file whose refused lines you fixed.`,
    )
    .action(async (type, options, command) => {
      const context = contextOf(command);
      if (options.file !== undefined) {
        if (type !== undefined || options.data !== undefined || options.source !== undefined || options.idempotencyKey !== undefined) {
          throw new UsageError("--file takes each event from its lines: give no type, --data, --source or --idempotency-key with it");
        }
        if (options.runId !== undefined && !runIdPattern.test(options.runId)) {
          throw new UsageError("--run-id must be 1 to 200 printable characters without spaces");
        }
        const { output } = context;
        const summary = await sendFile({
          file: options.file,
          runId: options.runId,
          batchSize: options.batchSize,
          client: context.client(),
          output,
        });
        output.result(summaryJson(summary), () => summaryText(summary));
        if (summary.stopped) throw summary.stopped.error;
        if (summary.refused.length > 0) {
          throw new CommandFailure(
            `${count(summary.refused.length)} of ${count(summary.lines)} lines refused`,
            `fix them, then run the same command with --run-id ${summary.runId}: the lines stored already count as duplicates`,
          );
        }
        return;
      }
      if (options.runId !== undefined || command.getOptionValueSource("batchSize") === "cli") {
        throw new UsageError("--run-id and --batch-size go with --file");
      }
      const event = type === undefined ? await eventFromStdin() : eventFromFlags(type, options);
      const { output } = context;
      const published = await context.client().events.publish(event);
      output.result(apiJson(PublishEventResponseSchema, published), () =>
        published.duplicate
          ? `duplicate: event ${published.id} was stored before with this idempotency key`
          : `accepted event ${published.id} (${event.type})`,
      );
    });
}

function eventFromFlags(type: string, options: { data?: string; source?: string; occurredAt?: Date; idempotencyKey?: string }): EventInit {
  let data: EventInit["data"];
  if (options.data !== undefined) {
    try {
      data = parseData(options.data);
    } catch (err) {
      if (err instanceof InvalidEvent)
        throw new UsageError(`--data is ${err.message}`, `quote it for the shell: --data '{"order_id": 42}'`);
      throw err;
    }
  }
  return { type, data, source: options.source, occurredAt: options.occurredAt, idempotencyKey: options.idempotencyKey };
}

async function eventFromStdin(): Promise<EventInit> {
  if (!stdinIsPiped()) {
    throw new UsageError("no event to send", "give a type (triggers send order.created --data '{...}'), a JSON event on stdin, or --file");
  }
  try {
    return parseEvent(await readStdin());
  } catch (err) {
    if (err instanceof InvalidEvent) throw new UsageError(`stdin holds no event: ${err.message}`);
    throw err;
  }
}

function summaryJson(summary: SendFileSummary) {
  return {
    file: summary.file,
    run_id: summary.runId,
    lines: summary.lines,
    accepted: summary.accepted,
    duplicate: summary.duplicate,
    refused: summary.refused,
    stopped_at_line: summary.stopped?.line,
    elapsed_ms: summary.elapsedMs,
  };
}

function summaryText(summary: SendFileSummary): string {
  const sent = summary.accepted + summary.duplicate;
  const rate = summary.elapsedMs > 0 ? Math.round((sent * 1000) / summary.elapsedMs) : sent;
  const lines = [
    `${summary.file}: ${count(summary.lines)} lines, ${count(summary.accepted)} accepted, ${count(summary.duplicate)} duplicate, ` +
      `${count(summary.refused.length)} refused, in ${(summary.elapsedMs / 1000).toFixed(1)} s (${count(rate)} events/s); run id ${summary.runId}`,
  ];
  for (const refusal of summary.refused.slice(0, refusalsShown)) {
    lines.push(`  line ${refusal.line}: ${refusal.field ? `${refusal.field}: ` : ""}${refusal.reason}`);
  }
  if (summary.refused.length > refusalsShown) {
    lines.push(`  and ${count(summary.refused.length - refusalsShown)} more refused lines (--output json lists them all)`);
  }
  if (summary.stopped) lines.push(`stopped at line ${summary.stopped.line}: run the same command again to go on from there`);
  return lines.join("\n");
}
