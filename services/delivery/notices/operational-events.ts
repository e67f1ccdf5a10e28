// Events of our own, written to the org's events like any other, when its deliveries need attention: the org sees them in
// its inbox and can subscribe to them.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { JetStreamClient } from "nats";
import { v7 as uuidv7 } from "uuid";
import { EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import { encodePublishedEvents } from "../../shared/published-events.js";
import { eventSubject } from "../../shared/streams.js";
import type { DeliveryRow } from "../deliveries.js";
import type { SubscriptionRow } from "../subscriptions/store.js";

export const deliveryExhausted = "triggers.delivery.exhausted";
export const subscriptionDisabled = "triggers.subscription.disabled";

const source = "triggers";

/** A delivery whose attempts all failed. */
export function publishExhausted(js: JetStreamClient, delivery: DeliveryRow, reason: string): Promise<void> {
  const data = {
    delivery_id: delivery.id,
    event_id: delivery.event_id,
    subscription_id: delivery.subscription_id,
    attempts: delivery.attempt_count,
    reason,
  };
  // However often this is written for one failure (a record retried), the stream keeps it once.
  return publish(js, delivery.org_id, deliveryExhausted, data, `${delivery.id}.${delivery.attempt_count}.exhausted`);
}

/** A subscription we paused or disabled: it gets no events until the org enables it. */
export function publishDisabled(js: JetStreamClient, sub: SubscriptionRow): Promise<void> {
  const data = { subscription_id: sub.id, url: sub.url, state: sub.state, reason: sub.state_reason };
  return publish(js, sub.org_id, subscriptionDisabled, data, `${sub.id}.${sub.updated_at.getTime()}.disabled`);
}

async function publish(js: JetStreamClient, orgId: string, type: string, data: object, msgID: string): Promise<void> {
  const now = timestampNow();
  const event = create(EventSchema, { id: uuidv7(), type, source, occurredAt: now, receivedAt: now });
  const message = encodePublishedEvents({ orgId, events: [{ event, data: JSON.stringify(data), requestId: "" }] });
  await js.publish(eventSubject(orgId), message, { msgID });
}

/**
 * An operational event about a subscription is never sent to that subscription: news of its failures would only
 * fail there too, and feed itself.
 */
export function isAbout(type: string, data: string, subscriptionId: string): boolean {
  if (type !== deliveryExhausted && type !== subscriptionDisabled) return false;
  return (JSON.parse(data) as { subscription_id?: string }).subscription_id === subscriptionId;
}
