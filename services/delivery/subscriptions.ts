// What a subscription may hold: the rules its URL and its event types must follow.
import { InvalidField } from "../shared/domain-errors.js";
import { eventTypeRule, isEventType } from "../shared/event-types.js";
import type { SubscriptionRow } from "./store.js";

const maxUrlLength = 2048;
const maxEventTypes = 100;

/** The URL events are POSTed to, normalised as the WHATWG parser writes it; throws invalid_argument otherwise. */
export function webhookUrl(raw: string): string {
  if (!raw) throw new InvalidField("url", "url is required");
  // Checked before parsing too, so that a huge value costs nothing.
  if (raw.length > maxUrlLength) throw new InvalidField("url", `url is longer than ${maxUrlLength} characters`);
  if (!URL.canParse(raw)) throw new InvalidField("url", "url must be an absolute http or https URL");
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidField("url", "url must be an absolute http or https URL");
  }
  // Credentials in a URL end up in logs and listings.
  if (url.username || url.password) throw new InvalidField("url", "url must not contain credentials");
  if (url.href.length > maxUrlLength) throw new InvalidField("url", `url is longer than ${maxUrlLength} characters`);
  return url.href;
}

/** The event types to deliver, without repeats, in the order given; empty means all. */
export function eventTypes(raw: string[]): string[] {
  if (raw.length > maxEventTypes) throw new InvalidField("event_types", `event_types holds more than ${maxEventTypes} types`);
  raw.forEach((type, index) => {
    if (!isEventType(type)) throw new InvalidField("event_types", `event_types[${index}] must be ${eventTypeRule}`);
  });
  return [...new Set(raw)];
}

/**
 * Whether a subscription gets an event of this type received then. Subscriptions created after the event
 * arrived do not get it: a backlog or a redelivery must not replay history to a new endpoint.
 */
export function wantsEvent(sub: SubscriptionRow, type: string, receivedAt: Date): boolean {
  return sub.created_at <= receivedAt && (sub.event_types.length === 0 || sub.event_types.includes(type));
}
