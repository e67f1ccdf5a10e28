// The JetStream streams, subjects and durable consumers through which services meet: declared here and nowhere else.

import type { ConsumerConfig, JetStreamManager, KV, NatsConnection, StreamConfig } from "nats";
import { AckPolicy, DeliverPolicy, DiscardPolicy, nanos, RetentionPolicy, StorageType } from "nats";

const day = 24 * 60 * 60 * 1000;

/** A stream on disk that keeps messages for a time, whoever has read them. */
function keptStream(name: string, subjects: string[], keepDays: number) {
  return {
    name,
    subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(keepDays * day),
  } satisfies Partial<StreamConfig>;
}

/** How long the events stream keeps an event: no org may keep its events for less, or the stream would outlive them. */
export const eventsKeptDays = 7;

/**
 * Every accepted event, written by ingest in messages of one org's events, read by the inbox and by delivery.
 * Consumers that fall behind (a service down for a weekend) still find their events.
 */
export const eventsStream = {
  ...keptStream("EVENTS", ["events.>"], eventsKeptDays),
  // Idempotency keys hold as long as JetStream remembers message ids: a repeat within it stores nothing.
  duplicate_window: nanos(day),
};

/** The subject an org's events are published on. */
export function eventSubject(orgId: string): string {
  return `events.${orgId}`;
}

/** The org whose events a subject carries. */
export function orgOfEventSubject(subject: string): string {
  return subject.slice("events.".length);
}

/** Deliveries that will not be tried again on their own, written by delivery for the orgs' tools and ours to read. */
export const deadLettersStream = {
  ...keptStream("DEAD_LETTERS", ["deadletters.>"], 30),
  // A delivery is dead-lettered once, whichever attempt's record is written twice.
  duplicate_window: nanos(10 * 60 * 1000),
};

/** The subject an org's dead letters are written on. */
export function deadLetterSubject(orgId: string): string {
  return `deadletters.${orgId}`;
}

/** How the deliveries of events ended, written by delivery in batches, read by the inbox to show each event's status. */
export const deliveryOutcomesStream = keptStream("DELIVERY_OUTCOMES", ["delivery.outcomes"], 7);

export const deliveryOutcomesSubject = "delivery.outcomes";

/**
 * The events the inbox no longer keeps, past their org's retention, written by the inbox's purge, read by delivery:
 * an event's delivery history goes when the event does.
 */
export const expiredEventsStream = keptStream("EXPIRED_EVENTS", ["expired.>"], 7);

/** The subject an org's expired events are written on. */
export function expiredEventsSubject(orgId: string): string {
  return `expired.${orgId}`;
}

/** Announced (core NATS, no payload) whenever an org's subscriptions change, so delivery replicas drop their copies. */
export function subscriptionsChangedSubject(orgId: string): string {
  return `subscriptions.changed.${orgId}`;
}

/** Every org's subscription changes. */
export const subscriptionChanges = "subscriptions.changed.*";

/** Announced (core NATS, no payload) once an org's newly arrived events are stored in the inbox, to wake long-polls. */
export function inboxArrivalSubject(orgId: string): string {
  return `inbox.arrived.${orgId}`;
}

/** Every org's arrivals. */
export const inboxArrivals = "inbox.arrived.*";

export function orgOfInboxArrival(subject: string): string {
  return subject.slice("inbox.arrived.".length);
}

/** Every org's admin actions, written by the service that makes each one before it commits, read by auth. */
export const auditStream = keptStream("AUDIT", ["audit.>"], 30);

/** The subject an org's audit entries are written on. */
export function auditSubject(orgId: string): string {
  return `audit.${orgId}`;
}

/**
 * A KV bucket holding each org's token bucket (its level and when it was taken), shared by every gateway replica.
 * A key unwritten for an hour has long refilled: it expires, and a missing key stands for a full bucket.
 */
export function rateLimitsBucket(replicas: number) {
  return { name: "RATE_LIMITS", options: { history: 1, ttl: 60 * 60 * 1000, replicas } };
}

/** Opens the rate-limits bucket. */
export function openRateLimits(nc: NatsConnection, replicas: number): Promise<KV> {
  return openBucket(nc, rateLimitsBucket(replicas));
}

/**
 * A KV bucket of the event streams each API key holds open, shared by every gateway replica: a key per stream slot,
 * rewritten while its stream lasts. A replica that dies stops rewriting its slots, and they expire.
 */
export function streamSlotsBucket(replicas: number) {
  return { name: "STREAM_SLOTS", options: { history: 1, ttl: streamSlotTtlMs, replicas } };
}

/** How long a slot outlives its last rewrite. */
export const streamSlotTtlMs = 60_000;

/** Opens the stream-slots bucket. */
export function openStreamSlots(nc: NatsConnection, replicas: number): Promise<KV> {
  return openBucket(nc, streamSlotsBucket(replicas));
}

// The JetStream error of a write whose expected revision is no longer the key's.
const wrongLastSequence = 10071;

/** Whether a KV write failed because another writer changed the key first (a create: because it exists). */
export function isRevisionTaken(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } }).api_error?.err_code === wrongLastSequence;
}

/** Opens a KV bucket, and brings one made before to the deployment's replicas, as ensureStream does. */
async function openBucket(
  nc: NatsConnection,
  bucket: { name: string; options: { history: number; ttl: number; replicas: number } },
): Promise<KV> {
  const { replicas } = bucket.options;
  const kv = await nc.jetstream().views.kv(bucket.name, bucket.options);
  const jsm = await nc.jetstreamManager();
  // A KV bucket is a stream of this name underneath.
  const stream = `KV_${bucket.name}`;
  const { config } = await jsm.streams.info(stream);
  if (config.num_replicas !== replicas) await jsm.streams.update(stream, { ...config, num_replicas: replicas });
  return kv;
}

/** Announced (core NATS) when one of an org's keys is revoked or rotated: the payload is its id. */
export function keyChangedSubject(orgId: string): string {
  return `keys.changed.${orgId}`;
}

/** Every org's key changes, which every process that checks keys follows. */
export const keyChanges = "keys.changed.*";

export function orgOfKeyChange(subject: string): string {
  return subject.slice("keys.changed.".length);
}

/** Reported (core NATS) every few seconds by each process that checks keys: a JSON object of key id to last use (ms). */
export const keysUsedSubject = "keys.used";

// How long a consumer has to ack a message it was given before the message goes to another.
const consumerAckWaitMs = 30_000;

/**
 * How long delivery has to ack an events message. Short: it holds a fresh message unacked while the message's first
 * attempts run, marking it in progress meanwhile, and a killed worker's held messages come back this soon.
 */
export const deliveryAckWaitMs = 10_000;

/**
 * How long each pull request of a consuming service lives. A pull lives on the consumer's leader alone: when that NATS
 * node dies, the client learns it only after two missed heartbeats (half of this each) and then pulls again from the
 * new leader. The client's default, 30 s, left a service without messages for 30 to 50 s after a node died.
 */
export const pullExpiresMs = 5_000;

function durable(name: string): Partial<ConsumerConfig> {
  return {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(consumerAckWaitMs),
    max_ack_pending: 4096,
  };
}

export const consumers = {
  /** The inbox's projection of events into its store. */
  inbox: durable("inbox"),
  /** Delivery's fan-out of events to subscriptions. */
  delivery: { ...durable("delivery"), ack_wait: nanos(deliveryAckWaitMs) },
  /** The inbox's copy of each event's delivery status, from the delivery outcomes stream. */
  inboxDeliveryOutcomes: durable("inbox-delivery-outcomes"),
  /** Auth's copy of the audit log, from the audit stream. */
  authAudit: durable("auth-audit"),
  /** Delivery's forgetting of expired events' deliveries, from the expired events stream. */
  deliveryExpiredEvents: durable("delivery-expired-events"),
};

type DeclaredStream = Partial<StreamConfig> & { name: string };

/**
 * Creates a stream, or brings an existing one to the declared configuration, kept on as many servers as the
 * deployment's JetStream has (JETSTREAM_REPLICAS): raising it moves a stream of a single server onto a cluster.
 */
export async function ensureStream(jsm: JetStreamManager, stream: DeclaredStream, replicas: number): Promise<void> {
  const config = { ...stream, num_replicas: replicas };
  try {
    await jsm.streams.info(stream.name);
    await jsm.streams.update(stream.name, config);
  } catch (err) {
    if ((err as { code?: string }).code !== "404") throw err;
    await jsm.streams.add(config);
  }
}

export const ensureEventsStream = (jsm: JetStreamManager, replicas: number) => ensureStream(jsm, eventsStream, replicas);

/**
 * Creates a durable consumer of a stream (the events stream unless named), or updates it to the declared configuration,
 * on as many servers as its stream (JETSTREAM_REPLICAS), so that losing one NATS server never loses where a service had
 * read up to. The count is declared rather than inherited, so a consumer made by hand on fewer servers is raised too.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  config: Partial<ConsumerConfig>,
  replicas: number,
  stream: DeclaredStream = eventsStream,
): Promise<void> {
  await ensureStream(jsm, stream, replicas);
  await jsm.consumers.add(stream.name, { ...config, num_replicas: replicas });
}
