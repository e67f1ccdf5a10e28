// Gathers the single events of an org into shared stream messages: a message, not an event, is what a write costs most.
import { Batcher } from "../batcher.js";
import type { PublishedEvent } from "../published-events.js";
import type { EventPublisher, StoredEvent } from "./publisher.js";

type Outcomes = Map<PublishedEvent, PromiseSettledResult<StoredEvent>>;

// Half the largest batch keeps each write's wait modest; the publisher splits a batch further by message size.
const maxEventsPerWrite = 500;

/**
 * The first event of an org goes out at once and those arriving meanwhile ride the org's next write, one write
 * under way per org: messages grow with the load while a lone event waits for nothing, and every message costs
 * NATS and both consumers far more than an event in it.
 */
export class OrgQueues {
  readonly #batchers = new Map<string, Batcher<PublishedEvent, Outcomes>>();

  constructor(private readonly publisher: EventPublisher) {}

  /** Resolves once the stream holds the event (or the original of its idempotency key); rejects with why it does not. */
  async publish(orgId: string, published: PublishedEvent): Promise<StoredEvent> {
    const batcher = this.#batchers.get(orgId) ?? this.#open(orgId);
    try {
      const outcome = (await batcher.add(published)).get(published)!;
      if (outcome.status === "rejected") throw outcome.reason;
      return outcome.value;
    } finally {
      if (batcher.idle) this.#batchers.delete(orgId);
    }
  }

  #open(orgId: string): Batcher<PublishedEvent, Outcomes> {
    const batcher = new Batcher(async (events: PublishedEvent[]) => {
      const outcomes = await this.publisher.publish(orgId, events);
      return new Map(events.map((published, i) => [published, outcomes[i]!]));
    }, maxEventsPerWrite);
    this.#batchers.set(orgId, batcher);
    return batcher;
  }
}
