// Which events a subscription wants: its types, every type when it names none, and nothing from before it existed.
import test from "ava";
import type { SubscriptionRow } from "../../services/delivery/store.js";
import { wantsEvent } from "../../services/delivery/subscriptions.js";

const createdAt = new Date("2026-01-01T00:00:00Z");
const later = new Date("2026-01-01T00:00:01Z");
const subscription = (eventTypes: string[]): SubscriptionRow => ({
  id: "s",
  org_id: "o",
  url: "https://example.com/",
  event_types: eventTypes,
  created_at: createdAt,
});

test("subscription rules - a subscription wants the types it names and no others", (t) => {
  const sub = subscription(["order.created", "order.paid"]);
  t.true(wantsEvent(sub, "order.paid", later));
  t.false(wantsEvent(sub, "order.refunded", later));
});

test("subscription rules - a subscription without event types wants every type", (t) => {
  t.true(wantsEvent(subscription([]), "anything.at_all", later));
});

test("subscription rules - events received before the subscription was created are not for it", (t) => {
  t.false(wantsEvent(subscription([]), "order.created", new Date(createdAt.getTime() - 1)));
  t.true(wantsEvent(subscription([]), "order.created", createdAt));
});
