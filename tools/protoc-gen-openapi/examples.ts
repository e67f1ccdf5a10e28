// An example request and answer for each operation of the reference, by operation id; a test checks each against the document's schemas.

export interface OperationExample {
  path?: Record<string, string>;
  request?: unknown;
  response: unknown;
}

const eventId = "0193a5e4-7c1a-7b2e-9f4d-3e8b1a2c5d60";
const otherEventId = "0193a5e4-7c1b-7d30-8a91-6b2f0c4e7a12";
const subscriptionId = "0193a5d0-11f2-7a4c-b3e5-8c9d0e1f2a3b";
const deliveryId = "0193a5e4-7c40-7e11-a2b3-c4d5e6f7a8b9";
const orgId = "0193a5c0-2b3c-7d4e-8f90-a1b2c3d4e5f6";
const keyId = "7Gq2LmX9pRtZ";
const at = "2026-12-05T09:30:00.123Z";
const later = "2026-12-05T09:30:00.412Z";

const event = {
  id: eventId,
  type: "order.created",
  source: "shop",
  data: { order_id: "o_1042", total: 99.5 },
  occurred_at: at,
  received_at: at,
};
const accepted = { id: eventId, received_at: at, status: "EVENT_STATUS_ACCEPTED", duplicate: false };
const subscription = {
  id: subscriptionId,
  url: "https://example.com/hooks/triggers",
  event_types: ["order.*"],
  created_at: at,
  description: "order workflows",
  state: "SUBSCRIPTION_STATE_ACTIVE",
  state_reason: "",
  updated_at: at,
};
const attempt = {
  id: "0193a5e4-7c41-7f00-b1c2-d3e4f5a6b7c8",
  event_id: eventId,
  subscription_id: subscriptionId,
  url: subscription.url,
  status: "ATTEMPT_STATUS_SUCCEEDED",
  response_status: 200,
  error: "",
  started_at: later,
  duration_ms: 38,
  delivery_id: deliveryId,
  number: 1,
  response_body: "ok",
};
const delivery = {
  id: deliveryId,
  event_id: eventId,
  subscription_id: subscriptionId,
  state: "DELIVERY_STATE_SUCCEEDED",
  created_at: at,
  attempts: [attempt],
};
const org = { id: orgId, name: "acme", created_at: at, plan: "pro", events_per_minute: 1000 };
const apiKey = {
  id: keyId,
  org_id: orgId,
  secret: `tk_live_${keyId}_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2zC4e6`,
  created_at: at,
  name: "shop backend",
  scopes: ["events:write"],
  prefix: `tk_live_${keyId}`,
  allowed_cidrs: [],
};
const { secret: _, ...listedKey } = apiKey;

export const operationExamples: Record<string, OperationExample> = {
  publishEvent: {
    request: { type: "order.created", source: "shop", data: { order_id: "o_1042", total: 99.5 }, idempotency_key: "order-1042" },
    response: accepted,
  },
  publishEvents: {
    request: {
      events: [
        { type: "order.created", data: { order_id: "o_1042" }, idempotency_key: "order-1042" },
        { type: "order.created", data: { order_id: "o_1043" }, idempotency_key: "order-1042" },
      ],
    },
    response: {
      results: [
        { accepted },
        {
          error: {
            code: "failed_precondition",
            message: "idempotency_key was used in the last 24 hours for a different event",
            info: { reason: "ERROR_REASON_IDEMPOTENCY_KEY_REUSED", field: "events[1].idempotency_key" },
          },
        },
      ],
    },
  },
  listInbox: { response: { events: [event], next_cursor: "eyJpZCI6IjAxOTNhNWU0In0", has_more: false } },
  watchEvents: {
    response: [
      "retry: 2000",
      "",
      `id: eyJhZnRlciI6IjQyIiwiZGlyZWN0aW9uIjoiYXNjIn0`,
      `data: ${JSON.stringify(event)}`,
      "",
      ": heartbeat",
      "",
    ].join("\n"),
  },
  getEvent: {
    path: { id: eventId },
    response: {
      event: { ...event, delivery_status: "EVENT_DELIVERY_STATUS_DELIVERED" },
      history: [
        { status: "EVENT_HISTORY_STATUS_RECEIVED", at },
        { status: "EVENT_HISTORY_STATUS_QUEUED", at },
        { status: "EVENT_HISTORY_STATUS_DELIVERED", at: later },
      ],
      delivery_attempts: 1,
    },
  },
  deleteEvent: { path: { id: eventId }, response: {} },
  ackEvent: { path: { id: eventId }, response: { ...event, acked_at: later } },
  listEventTypes: { response: { event_types: ["order.created", "order.paid"], next_cursor: "b3JkZXIucGFpZA", has_more: false } },
  getInboxSettings: { response: { retention_days: 30 } },
  updateInboxSettings: { request: { retention_days: 90 }, response: { retention_days: 90 } },
  ackEvents: {
    request: { ids: [eventId, otherEventId] },
    response: { acked: 1, already_acked: 1, unknown_ids: [] },
  },
  createSubscription: {
    request: { url: subscription.url, event_types: ["order.*"], description: "order workflows" },
    response: { ...subscription, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
  },
  listSubscriptions: { response: { subscriptions: [subscription] } },
  getSubscription: { path: { id: subscriptionId }, response: subscription },
  updateSubscription: {
    path: { id: subscriptionId },
    request: { event_types: ["order.*", "refund.created"] },
    response: { ...subscription, event_types: ["order.*", "refund.created"], updated_at: later },
  },
  deleteSubscription: { path: { id: subscriptionId }, response: {} },
  rotateSubscriptionSecret: {
    path: { id: subscriptionId },
    request: {},
    response: { ...subscription, secret: "whsec_Zk3n2Q0vYp8sR6tW4xA1cE9gI7kM5oQ3", updated_at: later },
  },
  replaySubscription: { path: { id: subscriptionId }, request: { since: "2026-12-04T00:00:00Z" }, response: { replayed: 3 } },
  listEventDeliveries: { path: { event_id: eventId }, response: { deliveries: [delivery] } },
  listSubscriptionDeliveries: { path: { subscription_id: subscriptionId }, response: { deliveries: [delivery], next_cursor: "" } },
  retryDelivery: {
    path: { id: deliveryId },
    request: {},
    response: { ...delivery, state: "DELIVERY_STATE_PENDING", next_attempt_at: later },
  },
  listAttempts: { path: { event_id: eventId }, response: { attempts: [attempt] } },
  createOrg: {
    request: { name: "acme", plan: "pro" },
    response: { org, api_key: { ...apiKey, scopes: ["events:write", "events:read", "admin"], name: "first key" } },
  },
  updateOrg: {
    path: { id: orgId },
    request: { plan: "business" },
    response: { org: { ...org, plan: "business", events_per_minute: 10000 } },
  },
  whoAmI: { response: { org, api_key: { ...listedKey, last_used_at: later } } },
  createKey: { request: { name: "shop backend", scopes: ["events:write"] }, response: { api_key: apiKey } },
  listKeys: { response: { api_keys: [{ ...listedKey, last_used_at: later }] } },
  rotateKey: {
    path: { id: keyId },
    request: { grace_period_seconds: 3600 },
    response: {
      api_key: {
        ...apiKey,
        id: "Q4w8Er2Ty6Ui",
        secret: "tk_live_Q4w8Er2Ty6Ui_Zx1Cv3Bn5Mm7Kk9Jj2Hh4Gg6Ff8Dd0Ss2Aa4b6",
        prefix: "tk_live_Q4w8Er2Ty6Ui",
      },
      rotated: { ...listedKey, expires_at: "2026-12-05T10:30:00.123Z" },
    },
  },
  revokeKey: { path: { id: keyId }, response: {} },
  listAuditEntries: {
    response: {
      entries: [
        {
          id: "0193a5e9-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
          org_id: orgId,
          action: "key.created",
          resource: "key",
          resource_id: keyId,
          key_id: "Hn5Jk7Lm9Pq2",
          client_address: "203.0.113.9",
          request_id: "0f8e4c1c-5b0e-4d0a-9a3b-2f1d7c9e8a61",
          at,
          details: { name: "shop backend", scopes: ["events:write"], allowed_cidrs: [] },
        },
      ],
      next_cursor: "",
    },
  },
};
