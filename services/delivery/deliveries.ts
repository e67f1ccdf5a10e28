// What a delivery is: one event on its way to one subscription, its attempts, and what the pipeline passes along.

import type { AttemptOutcome, AttemptStatus } from "./webhook/post.js";
import type { Verdict } from "./webhook/retry-policy.js";

export type DeliveryState = "pending" | "succeeded" | "failed" | "cancelled";

export interface DeliveryRow {
  id: string;
  org_id: string;
  event_id: string;
  event_type: string;
  subscription_id: string;
  state: DeliveryState;
  attempt_count: number;
  /** Null unless pending, and while parked. */
  next_attempt_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  event_id: string;
  subscription_id: string;
  url: string;
  number: number;
  status: AttemptStatus;
  response_status: number;
  error: string;
  response_body: string;
  started_at: Date;
  duration_ms: number;
  next_attempt_at: Date | null;
}

export interface EventOutcomeRow {
  event_id: string;
  org_id: string;
  status: "delivered" | "failed";
  settled_at: Date;
}

/** What one subscription's attempts in a batch say: failures after the last success, or all when none succeeded. */
export interface SubscriptionOutcomes {
  id: string;
  failuresSinceSuccess: number;
  succeeded: boolean;
}

/** A subscription's failed attempts in a row, once counted. */
export interface FailureCount {
  id: string;
  consecutive_failures: number;
}

export interface RecordedAttempts {
  /** The deliveries whose attempts were recorded, as they now stand. */
  settled: DeliveryRow[];
  /** How the events whose deliveries have all ended came out. */
  outcomes: EventOutcomeRow[];
  /** The subscriptions whose count changed, with their count. */
  failuresInARow: FailureCount[];
}

export interface DeliveryWithAttempts extends DeliveryRow {
  attempts: AttemptRow[];
}

/** A delivery a worker holds, with all its attempt needs. */
export interface TakenDelivery {
  id: string;
  orgId: string;
  eventId: string;
  eventType: string;
  subscriptionId: string;
  /**
   * False for a first attempt sent straight from the stream: no row of it exists yet, and its row is written with
   * the attempt's outcome, while the stream message waits unacknowledged.
   */
  stored: boolean;
  /** Attempts made before this one. */
  attemptCount: number;
  url: string;
  secrets: string[];
  body: string;
  /** The request the event was published with; empty when unknown. */
  requestId: string;
  createdAt: Date;
}

/** What every delivery of an event sends. */
export interface WebhookMessage {
  eventId: string;
  orgId: string;
  body: string;
  requestId: string;
}

export interface NewDelivery {
  id: string;
  orgId: string;
  eventId: string;
  eventType: string;
  subscriptionId: string;
  /** When it is due from now: 0 for at once, a lease when this worker sends it itself, null to park it. */
  dueInMs: number | null;
}

export interface AttemptRecord {
  delivery: TakenDelivery;
  attemptId: string;
  startedAt: Date;
  outcome: AttemptOutcome;
  verdict: Verdict;
}
