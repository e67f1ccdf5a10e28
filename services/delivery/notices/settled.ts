// Tells others what recorded attempts settled, through the outbox: dead letters, our own operational events, outcomes
// for the inbox, and subscriptions stopped for failing or gone.
import { isOperationalType } from "../../shared/event-types.js";
import type { Logger } from "../../shared/logger.js";
import type { OutboxMessage, OutboxRelay } from "../../shared/outbox.js";
import { subscriptionsChangedSubject } from "../../shared/streams.js";
import type { AttemptRecord, FailureCount, RecordedAttempts } from "../deliveries.js";
import type { SubscriptionCache } from "../subscriptions/cache.js";
import type { SubscriptionRow, SubscriptionStore } from "../subscriptions/store.js";
import { deadLetterMessage, failureReasons } from "./dead-letters.js";
import { disabledMessage, exhaustedMessage } from "./operational-events.js";
import { outcomesMessage } from "./outcomes.js";

export interface SettledNoticesOptions {
  subscriptions: Pick<SubscriptionStore, "stopSubscriptions">;
  cache: Pick<SubscriptionCache, "forget">;
  relay: Pick<OutboxRelay, "wake">;
  logger: Logger;
  pauseAfterFailures: number;
}

export function createSettledNotices({ subscriptions, cache, relay, logger, pauseAfterFailures }: SettledNoticesOptions) {
  function failureMessages({ settled }: RecordedAttempts, batch: AttemptRecord[]): OutboxMessage[] {
    const verdicts = new Map(batch.map((record) => [record.delivery.id, record.verdict]));
    return settled.flatMap((delivery) => {
      const verdict = verdicts.get(delivery.id)!;
      if (verdict.state !== "failed") return [];
      logger.warn({ delivery_id: delivery.id, event_id: delivery.event_id, reason: verdict.reason }, "delivery failed for good");
      // Our own news that fails to arrive makes no further news: that way lies an endless chain.
      const newsOfIt = verdict.reason === "exhausted" && !isOperationalType(delivery.event_type);
      return [deadLetterMessage(delivery, verdict.reason), ...(newsOfIt ? [exhaustedMessage(delivery, failureReasons.exhausted)] : [])];
    });
  }

  async function stopSubscriptions(batch: AttemptRecord[], failuresInARow: FailureCount[]): Promise<void> {
    const gone = [...new Set(batch.filter((r) => r.outcome.responseStatus === 410).map((r) => r.delivery.subscriptionId))];
    const failing = failuresInARow.filter((count) => count.consecutive_failures >= pauseAfterFailures).map((count) => count.id);
    if (gone.length === 0 && failing.length === 0) return;
    const stopped = await subscriptions.stopSubscriptions(gone, failing, (rows) => rows.flatMap(stoppedMessages));
    for (const sub of stopped) {
      logger.warn({ subscription_id: sub.id, org_id: sub.org_id, state: sub.state, reason: sub.state_reason }, "subscription stopped");
      cache.forget(sub.org_id);
    }
    if (stopped.length > 0) relay.wake();
  }

  return {
    /** What the recorded attempts settled, as messages written in the transaction that records them. */
    messagesOf(recorded: RecordedAttempts, batch: AttemptRecord[]): OutboxMessage[] {
      const outcomes = outcomesMessage(recorded.outcomes);
      return [...failureMessages(recorded, batch), ...(outcomes ? [outcomes] : [])];
    },

    /** Once the attempts are recorded: sends their messages, and stops the subscriptions that are gone or failing. */
    async recorded(recorded: RecordedAttempts, batch: AttemptRecord[]): Promise<void> {
      relay.wake();
      await stopSubscriptions(batch, recorded.failuresInARow).catch((err: unknown) =>
        logger.error({ err }, "stopping failing subscriptions failed; the next failure tries again"),
      );
    },
  };
}

/** A stopped subscription's operational event, and the news that every replica must drop its copy of the org's list. */
function stoppedMessages(sub: SubscriptionRow): OutboxMessage[] {
  return [disabledMessage(sub), { subject: subscriptionsChangedSubject(sub.org_id), data: new Uint8Array() }];
}

export type SettledNotices = ReturnType<typeof createSettledNotices>;
