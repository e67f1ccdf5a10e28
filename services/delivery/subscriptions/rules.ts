// What a subscription may hold, and which events it gets: the rules its URL, its event types and its description follow.
import { maxSubscriptionDescriptionLength, maxSubscriptionEventTypes, maxWebhookUrlLength } from "../../shared/api-limits.js";
import { InvalidField, TooLarge } from "../../shared/domain-errors.js";
import { eventTypeRule, isEventType, isOperationalType } from "../../shared/event-types.js";

const wildcard = ".*";

/** The URL events are POSTed to, normalised as the WHATWG parser writes it; throws invalid_argument otherwise. */
export function webhookUrl(raw: string): string {
  if (!raw) throw new InvalidField("url", "url is required");
  // Checked before parsing too, so that a huge value costs nothing.
  if (raw.length > maxWebhookUrlLength) throw new InvalidField("url", `url is longer than ${maxWebhookUrlLength} characters`);
  if (!URL.canParse(raw)) throw new InvalidField("url", "url must be an absolute http or https URL");
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidField("url", "url must be an absolute http or https URL");
  }
  // Credentials in a URL end up in logs and listings.
  if (url.username || url.password) throw new InvalidField("url", "url must not contain credentials");
  if (url.href.length > maxWebhookUrlLength) throw new InvalidField("url", `url is longer than ${maxWebhookUrlLength} characters`);
  return url.href;
}

/** The event types to deliver: exact types and "prefix.*" patterns, without repeats, in the order given; empty means all. */
export function eventTypes(raw: string[]): string[] {
  if (raw.length > maxSubscriptionEventTypes)
    throw new InvalidField("event_types", `event_types holds more than ${maxSubscriptionEventTypes} types`);
  raw.forEach((type, index) => {
    const name = type.endsWith(wildcard) ? type.slice(0, -wildcard.length) : type;
    if (!isEventType(name)) {
      throw new InvalidField("event_types", `event_types[${index}] must be ${eventTypeRule}, or such a prefix followed by ".*"`);
    }
  });
  return [...new Set(raw)];
}

export function description(raw: string): string {
  if (raw.length > maxSubscriptionDescriptionLength)
    throw new TooLarge("description", `description is longer than ${maxSubscriptionDescriptionLength} characters`);
  return raw;
}

/**
 * Whether a type is among a subscription's: equal to one, or under a "prefix.*" at any depth ("order.*" takes
 * "order.item.added"). A subscription without types takes every type but our operational events, which go only
 * where they are asked for by name: news of failing deliveries sent to every endpoint would fail at the failing
 * ones and make more news.
 */
export function matchesEventTypes(types: string[], type: string): boolean {
  if (types.length === 0) return !isOperationalType(type);
  return types.some((wanted) => (wanted.endsWith(wildcard) ? type.startsWith(wanted.slice(0, -1)) : wanted === type));
}

/**
 * Whether a subscription gets an event of this type received then. Subscriptions created after the event
 * arrived do not get it: a backlog or a redelivery must not replay history to a new endpoint.
 */
export function wantsEvent(sub: { created_at: Date; event_types: string[] }, type: string, receivedAt: Date): boolean {
  return sub.created_at <= receivedAt && matchesEventTypes(sub.event_types, type);
}
