// Events of our own, written to the org's events like any other, when its deliveries need attention: the org sees them in
// its inbox and can subscribe to them.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { v7 as uuidv7 } from "uuid";
import { EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import type { OutboxMessage } from "../../shared/outbox.js";
import { encodePublishedEvents } from "../../shared/published-events.js";
import { eventSubject } from "../../shared/streams.js";
import type { DeliveryRow } from "../deliveries.js";
import type { SubscriptionRow } from "../subscriptions/store.js";

export const deliveryExhausted = "triggers.delivery.exhausted";
export const subscriptionDisabled = "triggers.subscription.disabled";
export const backlogTrimmed = "triggers.subscription.backlog_trimmed";

const source = "triggers";

/** A delivery whose attempts all failed. */
export function exhaustedMessage(delivery: DeliveryRow, reason: string): OutboxMessage {
  const data = {
    delivery_id: delivery.id,
    event_id: delivery.event_id,
    subscription_id: delivery.subscription_id,
    attempts: delivery.attempt_count,
    reason,
  };
  // However often this is written for one failure (a record retried), the stream keeps it once.
  return message(delivery.org_id, deliveryExhausted, data, `${delivery.id}.${delivery.attempt_count}.exhausted`);
}

/** A subscription we paused or disabled: it gets no events until the org enables it. */
export function disabledMessage(sub: SubscriptionRow): OutboxMessage {
  const data = { subscription_id: sub.id, url: sub.url, state: sub.state, reason: sub.state_reason };
  return message(sub.org_id, subscriptionDisabled, data, `${sub.id}.${sub.updated_at.getTime()}.disabled`);
}

/** A stopped subscription whose oldest waiting deliveries were given up, as too many were waiting. */
export function backlogTrimmedMessage(sub: Pick<SubscriptionRow, "id" | "org_id" | "url">, trimmed: number, limit: number): OutboxMessage {
  const data = { subscription_id: sub.id, url: sub.url, dead_lettered: trimmed, limit };
  return message(sub.org_id, backlogTrimmed, data, `${sub.id}.${Date.now()}.trimmed`);
}

function message(orgId: string, type: string, data: object, messageId: string): OutboxMessage {
  const now = timestampNow();
  const event = create(EventSchema, { id: uuidv7(), type, source, occurredAt: now, receivedAt: now });
  const encoded = encodePublishedEvents({ orgId, events: [{ event, data: JSON.stringify(data), requestId: "" }] });
  return { subject: eventSubject(orgId), data: encoded, messageId };
}

/**
 * An operational event about a subscription is never sent to that subscription: news of its failures would only
 * fail there too, and feed itself.
 */
export function isAbout(type: string, data: string, subscriptionId: string): boolean {
  if (type !== deliveryExhausted && type !== subscriptionDisabled && type !== backlogTrimmed) return false;
  return (JSON.parse(data) as { subscription_id?: string }).subscription_id === subscriptionId;
}
