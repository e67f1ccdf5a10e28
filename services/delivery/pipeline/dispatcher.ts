// Turns the events of a stream message into deliveries, one per matching subscription, and takes those it can send now.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Batcher } from "../../shared/batcher.js";
import { newId } from "../../shared/new-ids.js";
import type { PublishedEvent } from "../../shared/published-events.js";
import type { NewDelivery, TakenDelivery, WebhookMessage } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";
import { isAbout } from "../notices/operational-events.js";
import type { SubscriptionCache } from "../subscriptions/cache.js";
import { wantsEvent } from "../subscriptions/rules.js";
import type { SubscriptionRow } from "../subscriptions/store.js";
import { webhookBody } from "../webhook/post.js";
import { signingSecrets } from "../webhook/signing.js";
import type { Lanes } from "./lanes.js";
import { deliveryLeaseMs } from "./leases.js";

// A worker keeps at most this many rounds of a subscription's lane queued; the rest it leaves due for any worker.
const queuedRounds = 4;
// Stream messages whose deliveries are stored by one statement, at most.
const maxMessagesPerInsert = 64;

export interface DispatcherOptions {
  store: Pick<DeliveryStore, "addDeliveries">;
  cache: Pick<SubscriptionCache, "forOrg">;
  lanes: Lanes;
}

export function createDispatcher({ store, cache, lanes }: DispatcherOptions) {
  // The messages that arrive while one insert runs share the next: fewer, fuller statements than one per message.
  const inserts = new Batcher(async (batches: { messages: WebhookMessage[]; deliveries: NewDelivery[] }[]) => {
    return store.addDeliveries(
      batches.flatMap(({ messages }) => messages),
      batches.flatMap(({ deliveries }) => deliveries),
    );
  }, maxMessagesPerInsert);

  return {
    /** Whether the org has any subscription at all: events of orgs without one need not even be read. */
    async anyFor(orgId: string): Promise<boolean> {
      return (await cache.forOrg(orgId)).length > 0;
    },

    /**
     * Plans a delivery for each (event, subscription) pair. A fresh message's deliveries that can start at once are
     * sent straight from it, with no row written first: they come back as `first`, and the message must stay
     * unacknowledged until their outcomes are recorded. The rest are stored in one statement: those this worker
     * sends itself come back as `stored`, the others are due for any worker, or parked while their subscription is
     * paused. Throws when the store fails: the message is then not acknowledged, and comes back.
     */
    async accept(orgId: string, events: PublishedEvent[], fresh: boolean): Promise<Dispatched> {
      const subscriptions = (await cache.forOrg(orgId)).filter((sub) => sub.state !== "disabled");
      const pairs = matchingPairs(events, subscriptions);
      if (pairs.length === 0) return { first: [], stored: [] };
      const messages = webhookMessages(orgId, pairs);
      const planned = plan(pairs, orgId, fresh);
      const held = (p: Planned, stored: boolean) => heldDelivery(p, messages.get(p.delivery.eventId)!, stored);
      const first = planned.filter((p) => p.route === "first").map((p) => held(p, false));
      const created = await write(
        planned.filter((p) => p.route !== "first"),
        messages,
      );
      const stored = planned.filter((p) => p.route === "ours" && created.has(p.delivery.id)).map((p) => held(p, true));
      return { first, stored };
    },
  };

  /** Writes the deliveries with the bodies of their events; answers the ids of those created now. */
  async function write(planned: Planned[], messages: Map<string, WebhookMessage>): Promise<Set<string>> {
    if (planned.length === 0) return new Set();
    const events = new Set(planned.map(({ delivery }) => delivery.eventId));
    return inserts.add({
      messages: [...messages.values()].filter((m) => events.has(m.eventId)),
      deliveries: planned.map(({ delivery }) => delivery),
    });
  }

  /**
   * Where each pair goes: while a few rounds of its subscription's lane are queued here, straight from a fresh
   * message, or held by this worker from an older one; past that, left due for any worker; parked while paused.
   * An event with any delivery written first has all of them written first: a sibling recorded before a first
   * attempt is written would tell the event's outcome without it.
   */
  function plan(pairs: Pair[], orgId: string, fresh: boolean): Planned[] {
    const queued = new Map<string, number>();
    const planned = pairs.map(({ published, sub }) => {
      const ahead = lanes.load(sub.id) + (queued.get(sub.id) ?? 0);
      const route: Route =
        sub.state !== "active" ? "parked" : ahead >= queuedRounds * lanes.perSubscription ? "due" : fresh ? "first" : "ours";
      if (route === "first" || route === "ours") queued.set(sub.id, (queued.get(sub.id) ?? 0) + 1);
      if (route === "due") lanes.overflowed(sub.id);
      const { id: eventId, type: eventType } = published.event;
      return { route, sub, delivery: { id: newId(), orgId, eventId, eventType, subscriptionId: sub.id, dueInMs: 0 } };
    });
    const written = new Set(planned.filter((p) => p.route !== "first").map((p) => p.delivery.eventId));
    return planned.map((p) => {
      const route = p.route === "first" && written.has(p.delivery.eventId) ? "ours" : p.route;
      // Held by this worker, a delivery is leased as the ones it takes due are, and renewed with them.
      const dueInMs = route === "parked" ? null : route === "ours" ? deliveryLeaseMs : 0;
      return { route, sub: p.sub, delivery: { ...p.delivery, dueInMs } };
    });
  }
}

/** Deliveries sent straight from a stream message, and those stored that this worker sends. */
export interface Dispatched {
  first: TakenDelivery[];
  stored: TakenDelivery[];
}

type Route = "first" | "ours" | "due" | "parked";

interface Planned {
  route: Route;
  sub: SubscriptionRow;
  delivery: NewDelivery;
}

/** A planned delivery as this worker holds it for its first attempt. */
function heldDelivery({ delivery, sub }: Planned, { body, requestId }: WebhookMessage, stored: boolean): TakenDelivery {
  const { id, orgId, eventId, eventType } = delivery;
  const now = new Date();
  const secrets = signingSecrets(sub, now);
  return {
    id,
    orgId,
    eventId,
    eventType,
    subscriptionId: sub.id,
    stored,
    attemptCount: 0,
    url: sub.url,
    secrets,
    body,
    requestId,
    createdAt: now,
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
