// The package's entry, for Node 20+ and browsers alike: the client, its error, webhook verification, and the API's types.

export type { JsonObject } from "@bufbuild/protobuf";
export type { Timestamp } from "@bufbuild/protobuf/wkt";
export { timestampDate } from "@bufbuild/protobuf/wkt";
export { Code } from "@connectrpc/connect";
export type { ApiKey, AuditEntry, CreateOrgResponse, Org, RotateKeyResponse } from "../../gen/triggers/v1/auth_pb.js";
export type { Attempt, Delivery, ReplaySubscriptionResponse, Subscription } from "../../gen/triggers/v1/delivery_pb.js";
export { AttemptStatus, DeliveryState, SubscriptionState } from "../../gen/triggers/v1/delivery_pb.js";
export type { ErrorInfo, Event } from "../../gen/triggers/v1/event_pb.js";
export { ErrorReason, EventDeliveryStatus } from "../../gen/triggers/v1/event_pb.js";
export type {
  AckEventsResponse,
  EventStatusChange,
  GetEventResponse,
  InboxSettings,
  ListInboxResponse,
} from "../../gen/triggers/v1/inbox_pb.js";
export { EventHistoryStatus } from "../../gen/triggers/v1/inbox_pb.js";
export type {
  PublishEventResponse,
  PublishEventsError,
  PublishEventsResponse,
  PublishEventsResult,
} from "../../gen/triggers/v1/ingest_pb.js";
export { EventStatus } from "../../gen/triggers/v1/ingest_pb.js";
export type { RequestOptions, ResponseInfo, RetryInfo, TriggersOptions } from "./options.js";
export type { RateLimit } from "./rate-limit.js";
export type { AuditQuery } from "./resources/audit.js";
export type { SubscriptionDeliveriesQuery } from "./resources/deliveries.js";
export type { EventInit } from "./resources/events.js";
export type { InboxQuery } from "./resources/inbox.js";
export type { KeyInit } from "./resources/keys.js";
export type { OrgPlan } from "./resources/orgs.js";
export type { SubscriptionChanges, SubscriptionInit } from "./resources/subscriptions.js";
export type { Time } from "./time.js";
export { Triggers } from "./triggers.js";
export { TriggersError } from "./triggers-error.js";
export { type VerifyOptions, verifyWebhook, type WebhookHeaders, WebhookVerificationError } from "./verify-webhook.js";
export type { WatchedEvent, WatchOptions, WatchQuery } from "./watch-events.js";
