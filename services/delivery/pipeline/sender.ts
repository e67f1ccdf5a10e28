// Makes the attempts of deliveries this worker holds, each in its subscription's lane, and hands their outcomes on.

import type { Logger } from "../../shared/logger.js";
import { newId } from "../../shared/new-ids.js";
import { withRequestId } from "../../shared/request-context.js";
import type { AttemptRecord, TakenDelivery } from "../deliveries.js";
import type { AddressGuard } from "../webhook/address-guard.js";
import { type AttemptOutcome, postWebhook } from "../webhook/post.js";
import { type Verdict, verdictOf } from "../webhook/retry-policy.js";
import type { Lanes } from "./lanes.js";
import type { HeldDeliveries } from "./leases.js";
import type { Recorder } from "./recorder.js";

export interface SenderOptions {
  lanes: Lanes;
  /** The stored deliveries this worker holds, whose leases it renews until each is recorded or given up. */
  held: Pick<HeldDeliveries, "hold" | "release">;
  recorder: Recorder;
  guard: AddressGuard;
  logger: Logger;
  timeoutMs: number;
  retrySchedule: number[];
}

export function createSender({ lanes, held, recorder, guard, logger, timeoutMs, retrySchedule }: SenderOptions) {
  const inFlight = new Set<Promise<void>>();

  async function attempt(delivery: TakenDelivery): Promise<AttemptRecord> {
    const startedAt = new Date();
    const { url, eventId: webhookId, body, secrets } = delivery;
    const outcome = await postWebhook({ url, webhookId, body, secrets }, timeoutMs, guard);
    const verdict = verdictOf(outcome, delivery.attemptCount + 1, retrySchedule);
    logAttempt(delivery, outcome, verdict);
    return { delivery, attemptId: newId(), startedAt, outcome, verdict };
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

  function inLane(delivery: TakenDelivery): Promise<AttemptRecord> {
    return lanes.run(delivery.subscriptionId, () => attempt(delivery));
  }

  // Tracked until recorded or given up, so that a stopping worker can wait for them.
  function track(task: Promise<void>): void {
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }

  return {
    /**
     * Starts the attempts of stored deliveries; they run on after this returns, their leases renewed meanwhile. One
     * whose record fails to be written (the recorder logs it) is released, and due again for any worker once its
     * lease ends.
     */
    send(deliveries: TakenDelivery[]): void {
      for (const delivery of deliveries) {
        held.hold(delivery);
        const recorded = inLane(delivery).then((record) => recorder.record([record]));
        track(recorded.catch(() => undefined).finally(() => held.release(delivery)));
      }
    },

    /**
     * Makes the first attempts of deliveries sent straight from one stream message and records them together, so
     * that the event's outcome is told once all its first attempts are in; resolves once they are recorded, and
     * rejects when they could not be: the message must then come back.
     */
    sendFirst(deliveries: TakenDelivery[]): Promise<void> {
      const recorded = Promise.all(deliveries.map(inLane)).then((records) => recorder.record(records));
      track(recorded.catch(() => undefined));
      return recorded;
    },

    /** Resolves once every attempt started so far is made and recorded, or given up. */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
