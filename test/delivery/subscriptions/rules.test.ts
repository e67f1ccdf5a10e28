// What a subscription may hold and which events it wants: its URL, its types and patterns, every type when it names none, nothing from before it existed.
import test from "ava";
import { description, eventTypes, wantsEvent, webhookUrl } from "../../../services/delivery/subscriptions/rules.js";
import { InvalidField, TooLarge } from "../../../services/shared/domain-errors.js";

const createdAt = new Date("2026-01-01T00:00:00Z");
const later = new Date("2026-01-01T00:00:01Z");
const subscription = (eventTypes: string[]) => ({ event_types: eventTypes, created_at: createdAt });

test("subscription rules - a subscription wants the types it names and no others", (t) => {
  const sub = subscription(["order.created", "order.paid"]);
  t.true(wantsEvent(sub, "order.paid", later));
  t.false(wantsEvent(sub, "order.refunded", later));
});

test("subscription rules - a prefix pattern wants every type under the prefix, at any depth, and nothing beside it", (t) => {
  const sub = subscription(["order.*", "user.created"]);
  for (const type of ["order.created", "order.item.added", "user.created"]) t.true(wantsEvent(sub, type, later), type);
  for (const type of ["order", "orders.created", "user.deleted", "reorder.created"]) t.false(wantsEvent(sub, type, later), type);
});

test("subscription rules - a subscription without event types wants every type but our operational events", (t) => {
  t.true(wantsEvent(subscription([]), "anything.at_all", later));
  t.false(wantsEvent(subscription([]), "triggers.delivery.exhausted", later));
});

test("subscription rules - our operational events go where they are asked for by name or prefix", (t) => {
  t.true(wantsEvent(subscription(["triggers.*"]), "triggers.subscription.disabled", later));
  t.true(wantsEvent(subscription(["triggers.delivery.exhausted"]), "triggers.delivery.exhausted", later));
  t.false(wantsEvent(subscription(["triggers.delivery.exhausted"]), "triggers.subscription.disabled", later));
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

test("subscription rules - a pattern is a valid type followed by .*, and nothing else takes a wildcard", (t) => {
  t.deepEqual(eventTypes(["order.*", "a.b.*"]), ["order.*", "a.b.*"]);
  for (const pattern of ["*", ".*", "order*", "order.*.created", "or der.*"]) {
    t.throws(() => eventTypes([pattern]), { instanceOf: InvalidField }, pattern);
  }
});

test("subscription rules - a description longer than 1024 characters is too large", (t) => {
  t.is(description("orders to the warehouse"), "orders to the warehouse");
  t.is(t.throws(() => description("d".repeat(1025)), { instanceOf: TooLarge })?.field, "description");
});
