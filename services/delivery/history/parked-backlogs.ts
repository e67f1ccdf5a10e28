// Bounds what a stopped subscription holds: past a limit, its oldest waiting deliveries are given up, and the org told.
import type { Logger } from "../../shared/logger.js";
import type { OutboxMessage, OutboxRelay } from "../../shared/outbox.js";
import { type Periodic, startPeriodic } from "../../shared/periodic.js";
import type { DeliveryStore, TrimmedBacklog } from "../delivery-store.js";
import { deadLetterMessage } from "../notices/dead-letters.js";
import { backlogTrimmedMessage } from "../notices/operational-events.js";
import { outcomesMessage } from "../notices/outcomes.js";

/**
 * How many deliveries a paused or disabled subscription may have waiting. A subscription paused for weeks under a
 * busy org would otherwise pile up rows without end, and its endpoint, once back, would take days to catch up on
 * news that is weeks old. Svix and Stripe stop retrying after days too; the oldest are the first given up.
 */
export const maxParkedDeliveries = 10_000;

const everyMs = 60_000;

/** Each given-up delivery's dead letter, each event's outcome, and an event per subscription saying how many went. */
export function trimmedMessages({ trimmed, outcomes, subscriptions, limit }: TrimmedBacklog): OutboxMessage[] {
  const counts = new Map<string, number>();
  for (const row of trimmed) counts.set(row.subscription_id, (counts.get(row.subscription_id) ?? 0) + 1);
  const outcome = outcomesMessage(outcomes);
  return [
    ...trimmed.map((row) => deadLetterMessage(row, "trimmed")),
    ...(outcome ? [outcome] : []),
    ...subscriptions.map((sub) => backlogTrimmedMessage(sub, counts.get(sub.id) ?? 0, limit)),
  ];
}

export function startBacklogTrimming(store: Pick<DeliveryStore, "trimParked">, relay: Pick<OutboxRelay, "wake">, logger: Logger): Periodic {
  return startPeriodic(
    "trimming stopped subscriptions' backlogs",
    everyMs,
    async () => {
      const trimmed = await store.trimParked(maxParkedDeliveries, trimmedMessages);
      if (trimmed === 0) return;
      logger.warn({ dead_lettered: trimmed, limit: maxParkedDeliveries }, "stopped subscriptions' oldest deliveries given up");
      relay.wake();
    },
    logger,
  );
}
