// The JetStream streams, subjects and durable consumers through which services meet: declared here and nowhere else.

import type { ConsumerConfig, JetStreamManager, StreamConfig } from "nats";
import { AckPolicy, DeliverPolicy, DiscardPolicy, nanos, RetentionPolicy, StorageType } from "nats";

/** Every accepted event, written by ingest in messages of one org's events, read by the inbox and by delivery. */
export const eventsStream = {
  name: "EVENTS",
  subjects: ["events.>"],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  // Consumers that fall behind (a service down for a weekend) still find their events.
  max_age: nanos(7 * 24 * 60 * 60 * 1000),
  num_replicas: 1,
} satisfies Partial<StreamConfig>;

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
  name: "DEAD_LETTERS",
  subjects: ["deadletters.>"],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: nanos(30 * 24 * 60 * 60 * 1000),
  // A delivery is dead-lettered once, whichever attempt's record is written twice.
  duplicate_window: nanos(10 * 60 * 1000),
  num_replicas: 1,
} satisfies Partial<StreamConfig>;

/** The subject an org's dead letters are written on. */
export function deadLetterSubject(orgId: string): string {
  return `deadletters.${orgId}`;
}

/** Announced (core NATS, no payload) whenever an org's subscriptions change, so delivery replicas drop their copies. */
export function subscriptionsChangedSubject(orgId: string): string {
  return `subscriptions.changed.${orgId}`;
}

/** Every org's subscription changes. */
export const subscriptionChanges = "subscriptions.changed.*";

/** How long a consumer has to ack a message it was given before the message goes to another (working() restarts it). */
export const consumerAckWaitMs = 30_000;

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
  delivery: durable("delivery"),
};

/** Creates a stream, or brings an existing one to the declared configuration. */
export async function ensureStream(jsm: JetStreamManager, stream: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(stream.name);
    await jsm.streams.update(stream.name, stream);
  } catch (err) {
    if ((err as { code?: string }).code !== "404") throw err;
    await jsm.streams.add(stream);
  }
}

export const ensureEventsStream = (jsm: JetStreamManager) => ensureStream(jsm, eventsStream);

/** Creates a durable consumer of the events stream, or updates it to the declared configuration. */
export async function ensureConsumer(jsm: JetStreamManager, config: Partial<ConsumerConfig>): Promise<void> {
  await ensureEventsStream(jsm);
  await jsm.consumers.add(eventsStream.name, config);
}
