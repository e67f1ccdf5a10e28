// The bounds the API puts on what a request may hold: the services' rules enforce them, and the OpenAPI document states them, from here.
import { eventsKeptDays } from "./streams.js";

/** Event data: a JSON object of at most this many bytes of JSON text. */
export const maxDataBytes = 256 * 1024;
/**
 * Event data: objects and arrays nested at most this deep. Deeper data is a mistake or an attack: every consumer that
 * parses it recursively pays for each level.
 */
export const maxDataDepth = 32;
export const maxSourceLength = 1024;
export const maxIdempotencyKeyLength = 255;
/** Printable ASCII: the key travels as a NATS header value and in logs, where other characters would need escaping. */
export const idempotencyKeyPattern = new RegExp(`^[\\x20-\\x7e]{1,${maxIdempotencyKeyLength}}$`);
export const maxEventsPerBatch = 1000;

export const inboxPage = { default: 100, max: 1000 };
export const eventTypesPage = { default: 100, max: 1000 };
/** How long a listing may wait for an event to arrive (long-poll), in seconds. */
export const maxInboxWaitSeconds = 30;
/** How long a listing may lease its events, in seconds: 12 hours. */
export const maxInboxLeaseSeconds = 43_200;
export const maxAckIds = 1000;
/** How long events are kept, in days; the least is as long as the events stream keeps them. */
export const retentionDays = { min: eventsKeptDays, max: 365 };

export const auditPage = { default: 50, max: 100 };
export const deliveriesPage = { default: 20, max: 100 };

export const maxOrgNameLength = 200;
export const maxCustomEventsPerMinute = 10_000_000;
export const maxKeyNameLength = 200;
export const maxKeyCidrs = 50;
/** An org with more keys than this is more likely leaking them than using them. */
export const maxKeysPerOrg = 100;
/** How long a rotated key may keep working, in seconds: 30 days. */
export const maxGraceSeconds = 30 * 24 * 60 * 60;

export const maxWebhookUrlLength = 2048;
export const maxSubscriptionEventTypes = 100;
export const maxSubscriptionDescriptionLength = 1024;

/** The gateway's default limits on a REST request body, in bytes (MAX_BODY_BYTES and MAX_BATCH_BODY_BYTES). */
export const defaultBodyBytes = 1_048_576;
export const defaultBatchBodyBytes = 5_242_880;
