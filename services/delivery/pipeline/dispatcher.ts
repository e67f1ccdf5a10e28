// Turns the events of a stream message into deliveries, one per matching subscription, and takes those it can send now.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { v7 as uuidv7 } from "uuid";
import type { PublishedEvent } from "../../shared/published-events.js";
import type { NewDelivery, TakenDelivery, WebhookMessage } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";
import { isAbout } from "../notices/operational-events.js";
import type { SubscriptionCache } from "../subscriptions/cache.js";
import { wantsEvent } from "../subscriptions/rules.js";
import type { SubscriptionRow } from "../subscriptions/store.js";
import { webhookBody } from "../webhook/post.js";
import { signingSecrets } from "../webhook/signing.js";
import { Batcher } from "./batcher.js";
import type { Lanes } from "./lanes.js";

// A worker keeps at most this many rounds of a subscription's lane queued; the rest it leaves due for any worker.
const queuedRounds = 4;
// Stream messages whose deliveries are stored by one statement, at most.
const maxMessagesPerInsert = 64;
// A held delivery's lease covers its wait in the lane and its attempt, plus this much.
const leaseMarginMs = 5_000;

export interface DispatcherOptions {
  store: DeliveryStore;
  cache: SubscriptionCache;
  lanes: Lanes;
  timeoutMs: number;
}

export function createDispatcher({ store, cache, lanes, timeoutMs }: DispatcherOptions) {
  /** How long to hold a delivery that waits behind `ahead` others of its subscription. */
  function leaseFor(ahead: number): number {
    return timeoutMs * (1 + Math.floor(ahead / lanes.perSubscription)) + leaseMarginMs;
  }

  // The messages that arrive while one insert runs share the next: fewer, fuller statements than one per message.
  const inserts = new Batcher(async (batches: { messages: WebhookMessage[]; deliveries: NewDelivery[] }[]) => {
    return store.addDeliveries(
      batches.flatMap(({ messages }) => messages),
      batches.flatMap(({ deliveries }) => deliveries),
    );
  }, maxMessagesPerInsert);

  return {
    /** The lease a worker takes on due deliveries it sends: they may wait behind a full lane, one round of them. */
    dueLeaseMs: leaseFor(2 * lanes.perSubscription),

    /** Whether the org has any subscription at all: events of orgs without one need not even be read. */
    async anyFor(orgId: string): Promise<boolean> {
      return (await cache.forOrg(orgId)).length > 0;
    },

    /**
     * Stores a delivery for each (event, subscription) pair, in one statement, and returns those this worker sends
     * itself at once. The rest are due for any worker, or parked while their subscription is paused. Throws when
     * the store fails: the message is then not acknowledged, and comes back.
     */
    async accept(orgId: string, events: PublishedEvent[]): Promise<TakenDelivery[]> {
      const subscriptions = (await cache.forOrg(orgId)).filter((sub) => sub.state !== "disabled");
      const pairs = matchingPairs(events, subscriptions);
      if (pairs.length === 0) return [];
      const messages = webhookMessages(orgId, pairs);
      const queued = new Map<string, number>();
      const planned = pairs.map(({ published, sub }) => {
        const ahead = lanes.load(sub.id) + (queued.get(sub.id) ?? 0);
        const ours = sub.state === "active" && ahead < queuedRounds * lanes.perSubscription;
        if (ours) queued.set(sub.id, (queued.get(sub.id) ?? 0) + 1);
        else if (sub.state === "active") lanes.overflowed(sub.id);
        const dueInMs = sub.state !== "active" ? null : ours ? leaseFor(ahead) : 0;
        const { id: eventId, type: eventType } = published.event;
        const delivery: NewDelivery = { id: uuidv7(), orgId, eventId, eventType, subscriptionId: sub.id, dueInMs };
        return { delivery, sub, ours };
      });
      const created = await inserts.add({ messages: [...messages.values()], deliveries: planned.map(({ delivery }) => delivery) });
      const now = new Date();
      return planned
        .filter(({ delivery, ours }) => ours && created.has(delivery.id))
        .map(({ delivery, sub }) => ({
          id: delivery.id,
          orgId,
          eventId: delivery.eventId,
          subscriptionId: sub.id,
          attemptCount: 0,
          url: sub.url,
          secrets: signingSecrets(sub, now),
          body: messages.get(delivery.eventId)!.body,
          requestId: messages.get(delivery.eventId)!.requestId,
          createdAt: now,
        }));
    },
  };
}

/** What every delivery of each event sends, by event id: its webhook body is rendered once, however many subscriptions get it. */
function webhookMessages(orgId: string, pairs: Pair[]): Map<string, WebhookMessage> {
  const messages = new Map<string, WebhookMessage>();
  for (const { published } of pairs) {
    const { event, data, requestId } = published;
    if (!messages.has(event.id)) messages.set(event.id, { eventId: event.id, orgId, body: webhookBody(event, data), requestId });
  }
  return messages;
}

interface Pair {
  published: PublishedEvent;
  sub: SubscriptionRow;
}

/** Each event with each subscription that wants it, every pair once. */
function matchingPairs(events: PublishedEvent[], subs: SubscriptionRow[]): Pair[] {
  const seen = new Set<string>();
  return events.flatMap((published) => {
    const { event } = published;
    const receivedAt = event.receivedAt ? timestampDate(event.receivedAt) : new Date();
    return subs.flatMap((sub) => {
      const key = `${event.id} ${sub.id}`;
      if (seen.has(key) || !wantsEvent(sub, event.type, receivedAt) || isAbout(event.type, published.data, sub.id)) return [];
      seen.add(key);
      return [{ published, sub }];
    });
  });
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
