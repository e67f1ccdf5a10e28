// triggers inbox: list the org's events with filters, following pages up to --limit, and acknowledge events by id.
import { type Command, Option } from "@commander-js/extra-typings";
import { AckEventsResponseSchema, EventSchema } from "../../../sdk/src/connect.js";
import type { Event, InboxQuery } from "../../../sdk/src/index.js";
import { CommandFailure } from "../command-errors.js";
import { contextOf } from "../context.js";
import { eventsTable } from "../event-view.js";
import { count } from "../format.js";
import { integerIn, timeValue } from "../option-values.js";
import { apiJson } from "../output.js";

const statuses = ["pending", "acked", "delivered", "failed", "all"] as const;
/** The API's largest page and largest acknowledgement. */
const pageMax = 1000;
const ackMax = 1000;

export function registerInbox(program: Command): void {
  const inbox = program.command("inbox").description("read the org's events, and acknowledge them");

  inbox
    .command("list")
    .description("list events, oldest first, following pages up to --limit")
    .option("--type <type>", "one type (order.created), or every type under a prefix (order.*)")
    .addOption(
      new Option("--status <status>", "pending (not acknowledged), acked, delivered, failed, or all").choices(statuses).default("pending"),
    )
    .option("--source <source>", "only events from this source")
    .option("--since <time>", "received at or after: RFC 3339, or how long ago (15m, 2h, 7d)", (value) => timeValue(value))
    .option("--until <time>", "received before: RFC 3339, or how long ago", (value) => timeValue(value))
    .option("--limit <n>", "the most events to list", integerIn(1, 1_000_000), 100)
    .addOption(new Option("--order <order>", "asc, oldest first, or desc").choices(["asc", "desc"] as const).default("asc"))
    .option("--wait <seconds>", "when nothing matches, wait up to this long for an event (at most 30)", integerIn(1, 30))
    .option("--cursor <cursor>", "start where a listing's next_cursor said")
    .addHelpText(
      "after",
      "\nExamples:\n  triggers inbox list --type 'order.*' --since 1h\n  triggers inbox list --status failed --order desc --limit 20",
    )
    .action(async (options, command) => {
      const context = contextOf(command);
      const triggers = context.client();
      const query: InboxQuery = {
        type: options.type,
        status: options.status,
        source: options.source,
        since: options.since,
        until: options.until,
        order: options.order,
        wait: options.wait,
      };
      const events: Event[] = [];
      let cursor = options.cursor;
      let hasMore = true;
      while (hasMore && events.length < options.limit) {
        const page = await triggers.inbox.listPage({ ...query, cursor, limit: Math.min(pageMax, options.limit - events.length) });
        events.push(...page.events);
        hasMore = page.hasMore;
        // An empty page has no cursor: the one before still says where new events will start.
        if (page.nextCursor) cursor = page.nextCursor;
        // Only the first page waits: later pages are asked for because events are there.
        query.wait = undefined;
      }
      context.output.result(
        { events: events.map((event) => apiJson(EventSchema, event)), next_cursor: cursor ?? "", has_more: hasMore },
        () => (events.length === 0 ? "No events match." : eventsTable(events)),
      );
      if (hasMore && !context.output.json) context.output.note(`More events: add --cursor ${cursor} to go on.`);
    });

  inbox
    .command("ack")
    .description("acknowledge events: they leave the pending inbox (acknowledging twice is harmless)")
    .argument("<ids...>", "event ids")
    .action(async (ids, _options, command) => {
      const context = contextOf(command);
      const triggers = context.client();
      const total = { acked: 0, already_acked: 0, unknown_ids: [] as string[] };
      for (let start = 0; start < ids.length; start += ackMax) {
        const answer = await triggers.inbox.ackMany(ids.slice(start, start + ackMax));
        const json = apiJson(AckEventsResponseSchema, answer) as typeof total;
        total.acked += json.acked;
        total.already_acked += json.already_acked;
        total.unknown_ids.push(...json.unknown_ids);
      }
      context.output.result(total, () => `Acknowledged ${count(total.acked)} (${count(total.already_acked)} already acknowledged).`);
      if (total.unknown_ids.length > 0) {
        throw new CommandFailure(
          `the org has no event with id ${total.unknown_ids.join(", ")}`,
          "check the ids: `triggers inbox list --status all` lists events",
        );
      }
    });
}
