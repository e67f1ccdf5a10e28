// triggers deliveries: what became of an event at each subscription, or a subscription's deliveries; and sending one again.
import { type Command, Option } from "@commander-js/extra-typings";
import { DeliverySchema } from "../../../sdk/src/connect.js";
import { AttemptStatus, type Delivery, DeliveryState } from "../../../sdk/src/index.js";
import { UsageError } from "../command-errors.js";
import { contextOf } from "../context.js";
import { enumName, formatTime } from "../format.js";
import { integerIn } from "../option-values.js";
import { apiJson } from "../output.js";
import { table } from "../table.js";

const states = {
  pending: DeliveryState.PENDING,
  succeeded: DeliveryState.SUCCEEDED,
  failed: DeliveryState.FAILED,
  cancelled: DeliveryState.CANCELLED,
};

export function registerDeliveries(program: Command): void {
  const deliveries = program.command("deliveries").description("webhook deliveries: list them, send one again");

  deliveries
    .command("list")
    .description("the deliveries of an event (--event) or of a subscription (--subscription, newest first), with their attempts")
    .option("--event <id>", "an event's deliveries, one per subscription that wanted it")
    .option("--subscription <id>", "a subscription's deliveries (admin scope)")
    .addOption(
      new Option("--state <state>", "with --subscription: only deliveries in this state").choices(
        Object.keys(states) as Array<keyof typeof states>,
      ),
    )
    .option("--limit <n>", "with --subscription: the most deliveries to list", integerIn(1, 100_000), 20)
    .addHelpText(
      "after",
      "\nExamples:\n  triggers deliveries list --event $EVENT\n  triggers deliveries list --subscription $SUB --state failed",
    )
    .action(async (options, command) => {
      if ((options.event === undefined) === (options.subscription === undefined)) {
        throw new UsageError("give --event <id> or --subscription <id>, one of them");
      }
      if (options.event !== undefined && (options.state !== undefined || command.getOptionValueSource("limit") === "cli")) {
        throw new UsageError("--state and --limit go with --subscription: an event's deliveries are few, one per subscription");
      }
      const context = contextOf(command);
      const triggers = context.client();
      let list: Delivery[];
      if (options.event !== undefined) {
        list = await triggers.deliveries.listForEvent(options.event);
      } else {
        list = [];
        const query = { state: options.state && states[options.state], limit: Math.min(100, options.limit) };
        for await (const delivery of triggers.deliveries.listForSubscription(options.subscription!, query)) {
          list.push(delivery);
          if (list.length >= options.limit) break;
        }
      }
      context.output.result({ deliveries: list.map((each) => apiJson(DeliverySchema, each)) }, () =>
        list.length === 0 ? "No deliveries." : deliveriesTable(list),
      );
    });

  deliveries
    .command("retry")
    .description("send a delivery again, at once, whatever became of it (admin scope)")
    .argument("<id>", "the delivery's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      const delivery = await context.client().deliveries.retry(id);
      context.output.result(apiJson(DeliverySchema, delivery), () => `Delivery ${id} is sent again: ${deliveriesTable([delivery])}`);
    });
}

function deliveriesTable(list: Delivery[]): string {
  return table(
    [
      { title: "ID" },
      { title: "EVENT" },
      { title: "SUBSCRIPTION" },
      { title: "STATE" },
      { title: "ATTEMPTS" },
      { title: "LAST ATTEMPT", max: 50 },
      { title: "NEXT" },
    ],
    list.map((delivery) => {
      const last = delivery.attempts[delivery.attempts.length - 1];
      const outcome = last
        ? `${enumName(AttemptStatus, last.status)}${last.responseStatus ? ` ${last.responseStatus}` : ""}${last.error ? ` ${last.error}` : ""} ${formatTime(last.startedAt)}`
        : "-";
      return [
        delivery.id,
        delivery.eventId,
        delivery.subscriptionId,
        enumName(DeliveryState, delivery.state),
        String(delivery.attempts.length),
        outcome,
        formatTime(delivery.nextAttemptAt),
      ];
    }),
  );
}
