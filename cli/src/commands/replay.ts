// triggers replay: send again every delivery of a subscription that failed for events received since a time.
import type { Command } from "@commander-js/extra-typings";
import { contextOf } from "../context.js";
import { count } from "../format.js";
import { timeValue } from "../option-values.js";

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("send again, at once, a subscription's failed deliveries of events received since a time (admin scope)")
    .argument("<subscription-id>", "the subscription's id")
    .requiredOption("--since <time>", "events received at or after: RFC 3339, or how long ago (15m, 2h, 7d)", (value) => timeValue(value))
    .addHelpText("after", "\nExample:\n  triggers replay $SUB --since 2h")
    .action(async (id, options, command) => {
      const context = contextOf(command);
      const { replayed } = await context.client().subscriptions.replay(id, { since: options.since });
      context.output.result({ replayed }, () => `Replayed ${count(replayed)} failed deliveries of subscription ${id}.`);
    });
}
