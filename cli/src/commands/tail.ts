// triggers tail: the org's events live, as they arrive: a line each on a terminal, JSON lines for scripts; Ctrl-C stops.
import { type Command, Option } from "@commander-js/extra-typings";
import { EventSchema } from "../../../sdk/src/connect.js";
import type { WatchQuery } from "../../../sdk/src/index.js";
import { contextOf } from "../context.js";
import { tailLine } from "../event-view.js";
import { stopOnInterrupt } from "../interrupts.js";
import { timeValue } from "../option-values.js";
import { apiJson } from "../output.js";
import { reconnectNotice } from "../reconnect-notice.js";

const statuses = ["pending", "acked", "delivered", "failed", "all"] as const;

export function registerTail(program: Command): void {
  program
    .command("tail")
    .description("follow the org's events live, from now (or --since, --cursor) until Ctrl-C")
    .option("--type <type>", "one type (order.created), or every type under a prefix (order.*)")
    .option("--source <source>", "only events from this source")
    .addOption(new Option("--status <status>", "only events in this state when read (default: every event)").choices(statuses))
    .option("--since <time>", "start with the events received since: RFC 3339, or how long ago (15m, 2h)", (value) => timeValue(value))
    .option("--cursor <cursor>", "go on after this event: a cursor tail printed")
    .option("--json", "JSON lines, {cursor, event}, as --output json does; the default when stdout is not a terminal")
    .addHelpText("after", "\nExamples:\n  triggers tail --type 'order.*'\n  triggers tail --since 1h --json | jq .event.type")
    .action(async (options, command) => {
      const { output, client } = contextOf(command);
      const json = options.json === true || output.json || !process.stdout.isTTY;
      const signal = stopOnInterrupt();
      const query: WatchQuery = {
        type: options.type,
        source: options.source,
        status: options.status,
        since: options.since,
        cursor: options.cursor,
      };
      let last = options.cursor;
      let opened = false;
      const events = client().events.watch(query, {
        signal,
        onOpen: () => {
          if (!opened) output.note(`Watching events${options.type ? ` of type ${options.type}` : ""}; Ctrl-C stops.`);
          opened = true;
        },
        onReconnect: (reconnect) => output.note(reconnectNotice(reconnect)),
      });
      for await (const { event, cursor } of events) {
        last = cursor;
        output.line(json ? JSON.stringify({ cursor, event: apiJson(EventSchema, event) }) : tailLine(event, process.stdout.columns));
      }
      if (signal.aborted && last) output.note(`Stopped. To go on from here: triggers tail --cursor ${last}`);
    });
}
