// Makes the attempts of deliveries this worker holds, each in its subscription's lane, and hands their outcomes on.
import { v7 as uuidv7 } from "uuid";
import type { Logger } from "../../shared/logger.js";
import { withRequestId } from "../../shared/request-context.js";
import type { AttemptRecord, TakenDelivery } from "../deliveries.js";
import type { AddressGuard } from "../webhook/address-guard.js";
import { type AttemptOutcome, postWebhook } from "../webhook/post.js";
import { type Verdict, verdictOf } from "../webhook/retry-policy.js";
import type { Lanes } from "./lanes.js";
import type { Recorder } from "./recorder.js";

export interface SenderOptions {
  lanes: Lanes;
  recorder: Recorder;
  guard: AddressGuard;
  logger: Logger;
  timeoutMs: number;
  retrySchedule: number[];
}

export function createSender({ lanes, recorder, guard, logger, timeoutMs, retrySchedule }: SenderOptions) {
  const inFlight = new Set<Promise<void>>();

  async function attempt(delivery: TakenDelivery): Promise<AttemptRecord> {
    const startedAt = new Date();
    const { url, eventId: webhookId, body, secrets } = delivery;
    const outcome = await postWebhook({ url, webhookId, body, secrets }, timeoutMs, guard);
    const verdict = verdictOf(outcome, delivery.attemptCount + 1, retrySchedule);
    logAttempt(delivery, outcome, verdict);
    return { delivery, attemptId: uuidv7(), startedAt, outcome, verdict };
  }

  // Every attempt is recorded and counted; the log speaks up for failures, successes only at debug level.
  function logAttempt(delivery: TakenDelivery, outcome: AttemptOutcome, verdict: Verdict): void {
    const level = outcome.status === "succeeded" ? "debug" : "info";
    if (!logger.isLevelEnabled(level)) return;
    const fields = {
      delivery_id: delivery.id,
      event_id: delivery.eventId,
      subscription_id: delivery.subscriptionId,
      attempt: delivery.attemptCount + 1,
      response_status: outcome.responseStatus,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      next: verdict.state,
    };
    withRequestId(delivery.requestId, () => logger[level](fields, "attempt made"));
  }

  return {
    /** Starts the deliveries' attempts; they run on after this returns. */
    send(deliveries: TakenDelivery[]): void {
      for (const delivery of deliveries) {
        const task = lanes.run(delivery.subscriptionId, () => attempt(delivery)).then((record) => recorder.record(record));
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
      }
    },

    /** Resolves once every attempt started so far is made and recorded. */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
