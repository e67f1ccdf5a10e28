// How subscriptions, deliveries and attempts look to API callers and in dead letters: rows become protobuf messages.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Attempt,
  AttemptSchema,
  AttemptStatus,
  type Delivery,
  DeliverySchema,
  DeliveryState,
  type Subscription,
  SubscriptionSchema,
  SubscriptionState,
} from "../../../gen/triggers/v1/delivery_pb.js";
import type { AttemptRow, DeliveryRow, DeliveryWithAttempts } from "../deliveries.js";
import type { SubscriptionRow } from "../subscriptions/store.js";

const subscriptionStates = {
  active: SubscriptionState.ACTIVE,
  paused: SubscriptionState.PAUSED,
  disabled: SubscriptionState.DISABLED,
} as const;

/** The subscription as callers see it; its secret only when the answer is the one place it is shown. */
export function subscriptionView(row: SubscriptionRow, { withSecret = false } = {}): Subscription {
  return create(SubscriptionSchema, {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    state: subscriptionStates[row.state],
    stateReason: row.state_reason,
    secret: withSecret ? row.secret : undefined,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
  });
}

export const deliveryStates = {
  pending: DeliveryState.PENDING,
  succeeded: DeliveryState.SUCCEEDED,
  failed: DeliveryState.FAILED,
  cancelled: DeliveryState.CANCELLED,
} as const;

export function deliveryView(row: DeliveryRow | DeliveryWithAttempts): Delivery {
  return create(DeliverySchema, {
    id: row.id,
    eventId: row.event_id,
    subscriptionId: row.subscription_id,
    state: deliveryStates[row.state],
    nextAttemptAt: row.next_attempt_at ? timestampFromDate(row.next_attempt_at) : undefined,
    createdAt: timestampFromDate(row.created_at),
    attempts: "attempts" in row ? row.attempts.map(attemptView) : [],
  });
}

const attemptStatuses = { succeeded: AttemptStatus.SUCCEEDED, failed: AttemptStatus.FAILED } as const;

export function attemptView(row: AttemptRow): Attempt {
  return create(AttemptSchema, {
    id: row.id,
    deliveryId: row.delivery_id,
    eventId: row.event_id,
    subscriptionId: row.subscription_id,
    url: row.url,
    number: row.number,
    status: attemptStatuses[row.status],
    responseStatus: row.response_status,
    error: row.error,
    responseBody: row.response_body,
    startedAt: timestampFromDate(row.started_at),
    durationMs: row.duration_ms,
    nextAttemptAt: row.next_attempt_at ? timestampFromDate(row.next_attempt_at) : undefined,
  });
}
