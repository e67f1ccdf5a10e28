// triggers events: one event with its history, and deleting one for good.
import type { Command } from "@commander-js/extra-typings";
import { GetEventResponseSchema } from "../../../sdk/src/connect.js";
import { contextOf } from "../context.js";
import { eventDetails } from "../event-view.js";
import { apiJson } from "../output.js";

export function registerEvents(program: Command): void {
  const events = program.command("events").description("read one event with its history, or delete one");

  events
    .command("get")
    .description("an event, pending or acknowledged, with its history and delivery attempts")
    .argument("<id>", "the event's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      const answer = await context.client().events.get(id);
      context.output.result(apiJson(GetEventResponseSchema, answer), () => eventDetails(answer));
    });

  events
    .command("delete")
    .description("take an event out of the inbox for good and cancel its pending deliveries (admin scope)")
    .argument("<id>", "the event's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      await context.client().events.delete(id);
      context.output.result({ id, deleted: true }, () => `Deleted event ${id}.`);
    });
}
