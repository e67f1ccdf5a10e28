// What a subscription may hold and which events it wants: its URL, its types, every type when it names none, nothing from before it existed.
import test from "ava";
import type { SubscriptionRow } from "../../services/delivery/store.js";
import { eventTypes, wantsEvent, webhookUrl } from "../../services/delivery/subscriptions.js";
import { InvalidField } from "../../services/shared/domain-errors.js";

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

test("subscription rules - a webhook URL must be absolute http or https, without credentials, and is normalised", (t) => {
  t.is(webhookUrl("HTTPS://Example.com:443/hooks/../in"), "https://example.com/in");
  for (const raw of [
    "",
    "example.com/hook",
    "ftp://example.com/",
    "https://user:pw@example.com/",
    `https://example.com/${"a".repeat(2048)}`,
  ]) {
    const err = t.throws(() => webhookUrl(raw), { instanceOf: InvalidField }, raw.slice(0, 40));
    t.is(err?.field, "url");
  }
});

test("subscription rules - event types are kept in order without repeats, and one malformed type is named", (t) => {
  t.deepEqual(eventTypes(["order.paid", "order.created", "order.paid"]), ["order.paid", "order.created"]);
  const malformed = t.throws(() => eventTypes(["order.paid", "not a type"]), { instanceOf: InvalidField });
  t.is(malformed?.field, "event_types");
  t.regex(malformed?.message ?? "", /event_types\[1\]/);
  t.throws(() => eventTypes(Array.from({ length: 101 }, (_, i) => `type.${i}`)), { instanceOf: InvalidField });
});
