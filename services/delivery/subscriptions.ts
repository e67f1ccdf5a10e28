// What a subscription may hold: the rules a URL, its event types and the ids of requests must follow.
import { validate as isUuid } from "uuid";
import { invalidField } from "../shared/errors.js";

const maxUrlLength = 2048;
const maxEventTypes = 100;
const eventTypePattern = /^[A-Za-z0-9._-]{1,128}$/;

/** The URL events are POSTed to, normalised as the WHATWG parser writes it; throws invalid_argument otherwise. */
export function webhookUrl(raw: string): string {
  if (!raw) throw invalidField("url", "url is required");
  // Checked before parsing too, so that a huge value costs nothing.
  if (raw.length > maxUrlLength) throw invalidField("url", `url is longer than ${maxUrlLength} characters`);
  if (!URL.canParse(raw)) throw invalidField("url", "url must be an absolute http or https URL");
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidField("url", "url must be an absolute http or https URL");
  }
  // Credentials in a URL end up in logs and listings; endpoints should authenticate us by signature instead.
  if (url.username || url.password) throw invalidField("url", "url must not contain credentials");
  if (url.href.length > maxUrlLength) throw invalidField("url", `url is longer than ${maxUrlLength} characters`);
  return url.href;
}

/** The event types to deliver, without repeats, in the order given; empty means all. */
export function eventTypes(raw: string[]): string[] {
  if (raw.length > maxEventTypes) throw invalidField("event_types", `event_types holds more than ${maxEventTypes} types`);
  raw.forEach((type, index) => {
    if (!eventTypePattern.test(type)) {
      throw invalidField("event_types", `event_types[${index}] must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_" or "-"`);
    }
  });
  return [...new Set(raw)];
}

/** A UUID from a request field; a malformed one would otherwise surface as a database error. */
export function uuidField(field: string, value: string): string {
  if (!value) throw invalidField(field, `${field} is required`);
  if (!isUuid(value)) throw invalidField(field, `${field} must be a UUID`);
  return value.toLowerCase();
}
