// triggers subscriptions: webhook endpoints for the org's events: create (the secret shown once), list, get, pause, resume, rotate-secret, delete.
import type { Command } from "@commander-js/extra-typings";
import { SubscriptionSchema } from "../../../sdk/src/connect.js";
import { type Subscription, SubscriptionState } from "../../../sdk/src/index.js";
import { contextOf } from "../context.js";
import { enumName, formatTime } from "../format.js";
import { listValue, urlValue } from "../option-values.js";
import { apiJson } from "../output.js";
import { fieldList, table } from "../table.js";

export function registerSubscriptions(program: Command): void {
  const subscriptions = program.command("subscriptions").description("manage the webhooks the org's events are pushed to");

  subscriptions
    .command("create")
    .description("subscribe a URL to event types; prints its signing secret, shown only this once")
    .requiredOption("--url <url>", "where events are POSTed", urlValue)
    .option("--types <patterns>", "exact types and prefix.* patterns, comma-separated or repeated (default: every type)", listValue)
    .option("--description <text>", "what the endpoint is, for people")
    .addHelpText("after", "\nExample:\n  triggers subscriptions create --url https://example.com/hook --types 'order.*,user.created'")
    .action(async (options, command) => {
      const context = contextOf(command);
      const created = await context.client().subscriptions.create({
        url: options.url,
        eventTypes: options.types,
        description: options.description,
      });
      context.output.result(apiJson(SubscriptionSchema, created), () =>
        [`Created subscription ${created.id}.`, details(created), "", `Signing secret, shown only now (keep it): ${created.secret}`].join(
          "\n",
        ),
      );
    });

  subscriptions
    .command("list")
    .description("the org's subscriptions")
    .action(async (_options, command) => {
      const context = contextOf(command);
      const list = await context.client().subscriptions.list();
      context.output.result({ subscriptions: list.map((each) => apiJson(SubscriptionSchema, each)) }, () =>
        list.length === 0
          ? "No subscriptions."
          : table(
              [
                { title: "ID" },
                { title: "STATE" },
                { title: "URL", max: 50 },
                { title: "TYPES", max: 40 },
                { title: "DESCRIPTION", max: 40 },
              ],
              list.map((each) => [each.id, enumName(SubscriptionState, each.state), each.url, typesOf(each), each.description || "-"]),
            ),
      );
    });

  subscriptions
    .command("get")
    .description("one subscription")
    .argument("<id>", "the subscription's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      const subscription = await context.client().subscriptions.get(id);
      context.output.result(apiJson(SubscriptionSchema, subscription), () => details(subscription));
    });

  for (const [name, enabled, description] of [
    ["pause", false, "disable a subscription: nothing is delivered to it, and events arriving meanwhile are not kept for it"],
    ["resume", true, "make a subscription active again; one paused after failing sends the events that piled up"],
  ] as const) {
    subscriptions
      .command(name)
      .description(description)
      .argument("<id>", "the subscription's id")
      .action(async (id, _options, command) => {
        const context = contextOf(command);
        const updated = await context.client().subscriptions.update(id, { enabled });
        context.output.result(
          apiJson(SubscriptionSchema, updated),
          () => `Subscription ${id} is ${enumName(SubscriptionState, updated.state)}.`,
        );
      });
  }

  subscriptions
    .command("rotate-secret")
    .description("issue a new signing secret; for 24 hours webhooks are signed with the new and the old one")
    .argument("<id>", "the subscription's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      const rotated = await context.client().subscriptions.rotateSecret(id);
      context.output.result(apiJson(SubscriptionSchema, rotated), () =>
        [
          `New signing secret for ${id}, shown only now (keep it): ${rotated.secret}`,
          "For 24 hours every webhook is signed with both the new and the old secret: switch your receiver to the new one.",
        ].join("\n"),
      );
    });

  subscriptions
    .command("delete")
    .description("stop deliveries to a subscription for good; its deliveries stay listed")
    .argument("<id>", "the subscription's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      await context.client().subscriptions.delete(id);
      context.output.result({ id, deleted: true }, () => `Deleted subscription ${id}.`);
    });
}

function typesOf(subscription: Subscription): string {
  return subscription.eventTypes.length === 0 ? "(every type)" : subscription.eventTypes.join(", ");
}

function details(subscription: Subscription): string {
  return fieldList([
    ["id", subscription.id],
    ["url", subscription.url],
    ["types", typesOf(subscription)],
    ["state", `${enumName(SubscriptionState, subscription.state)}${subscription.stateReason ? ` (${subscription.stateReason})` : ""}`],
    ["description", subscription.description || "-"],
    ["created", formatTime(subscription.createdAt)],
    ["updated", formatTime(subscription.updatedAt)],
  ]);
}
