// The bounds the services enforce on request fields, as JSON Schema keywords, from the constants the rules themselves use.
import type { DescField } from "@bufbuild/protobuf";
import { inboxOrders, inboxStatuses } from "../../services/inbox/inbox-query.js";
import {
  auditPage,
  deliveriesPage,
  eventTypesPage,
  idempotencyKeyPattern,
  inboxPage,
  maxAckIds,
  maxCustomEventsPerMinute,
  maxEventsPerBatch,
  maxGraceSeconds,
  maxInboxLeaseSeconds,
  maxInboxWaitSeconds,
  maxKeyCidrs,
  maxKeyNameLength,
  maxOrgNameLength,
  maxSourceLength,
  maxSubscriptionDescriptionLength,
  maxSubscriptionEventTypes,
  maxWebhookUrlLength,
  retentionDays,
} from "../../services/shared/api-limits.js";
import { eventTypePattern } from "../../services/shared/event-types.js";
import { scopes } from "../../services/shared/scopes.js";
import type { JsonSchema } from "./json-schema.js";

const page = (bounds: { default: number; max: number }) => ({ minimum: 0, maximum: bounds.max, default: bounds.default });
const eventType = { pattern: eventTypePattern.source };

const bounds: Record<string, JsonSchema> = {
  "triggers.v1.EventInput.type": eventType,
  "triggers.v1.EventInput.source": { maxLength: maxSourceLength },
  "triggers.v1.EventInput.idempotency_key": { pattern: idempotencyKeyPattern.source },
  "triggers.v1.PublishEventsRequest.events": { minItems: 1, maxItems: maxEventsPerBatch },
  "triggers.v1.ListInboxRequest.limit": page(inboxPage),
  "triggers.v1.ListEventTypesRequest.limit": page(eventTypesPage),
  "triggers.v1.ListInboxRequest.wait": { minimum: 0, maximum: maxInboxWaitSeconds },
  "triggers.v1.ListInboxRequest.lease": { minimum: 0, maximum: maxInboxLeaseSeconds },
  "triggers.v1.ListInboxRequest.status": { enum: [...inboxStatuses] },
  "triggers.v1.ListInboxRequest.order": { enum: [...inboxOrders] },
  "triggers.v1.AckEventsRequest.ids": { minItems: 1, maxItems: maxAckIds },
  "triggers.v1.InboxSettings.retention_days": { minimum: retentionDays.min, maximum: retentionDays.max },
  "triggers.v1.ListAuditEntriesRequest.limit": page(auditPage),
  "triggers.v1.ListSubscriptionDeliveriesRequest.limit": page(deliveriesPage),
  "triggers.v1.CreateOrgRequest.name": { minLength: 1, maxLength: maxOrgNameLength },
  "triggers.v1.CreateOrgRequest.events_per_minute": { maximum: maxCustomEventsPerMinute },
  "triggers.v1.UpdateOrgRequest.events_per_minute": { maximum: maxCustomEventsPerMinute },
  "triggers.v1.CreateKeyRequest.name": { maxLength: maxKeyNameLength },
  "triggers.v1.CreateKeyRequest.scopes": { minItems: 1, items: { enum: [...scopes] } },
  "triggers.v1.CreateKeyRequest.allowed_cidrs": { maxItems: maxKeyCidrs },
  "triggers.v1.RotateKeyRequest.grace_period_seconds": { maximum: maxGraceSeconds },
  "triggers.v1.CreateSubscriptionRequest.url": { minLength: 1, maxLength: maxWebhookUrlLength, format: "uri" },
  "triggers.v1.CreateSubscriptionRequest.event_types": { maxItems: maxSubscriptionEventTypes },
  "triggers.v1.CreateSubscriptionRequest.description": { maxLength: maxSubscriptionDescriptionLength },
  "triggers.v1.SubscriptionChanges.url": { maxLength: maxWebhookUrlLength },
  "triggers.v1.SubscriptionChanges.event_types": { maxItems: maxSubscriptionEventTypes },
  "triggers.v1.SubscriptionChanges.description": { maxLength: maxSubscriptionDescriptionLength },
};

/** The field's bounds, for the request side: answers are what the services wrote, within them. */
export function boundsOf(field: DescField): JsonSchema {
  return bounds[`${field.parent.typeName}.${field.name}`] ?? {};
}
