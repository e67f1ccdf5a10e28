// Gathers the single events of an org into shared stream messages: a message, not an event, is what a write costs most.
import type { PublishedEvent } from "../published-events.js";
import type { EventPublisher, StoredEvent } from "./publisher.js";

interface Waiting {
  published: PublishedEvent;
  resolve(stored: StoredEvent): void;
  reject(err: unknown): void;
}

/** The events of one org waiting for a write, and how many of its writes are under way. */
interface OrgQueue {
  waiting: Waiting[];
  writes: number;
}

// Half the largest batch keeps each write's wait modest; the publisher splits a batch further by message size.
const maxEventsPerWrite = 500;
// The first event of an org goes out at once and later ones ride the next write: messages grow with the load,
// while a lone event waits for nothing. Every message costs NATS and both consumers far more than an event in it.
const maxWritesPerOrg = 1;

export class OrgQueues {
  readonly #queues = new Map<string, OrgQueue>();

  constructor(private readonly publisher: EventPublisher) {}

  /** Resolves once the stream holds the event (or the original of its idempotency key); rejects with why it does not. */
  publish(orgId: string, published: PublishedEvent): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(orgId) ?? { waiting: [], writes: 0 };
      this.#queues.set(orgId, queue);
      queue.waiting.push({ published, resolve, reject });
      if (queue.writes < maxWritesPerOrg) void this.#write(orgId, queue);
    });
  }

  async #write(orgId: string, queue: OrgQueue): Promise<void> {
    const batch = queue.waiting.splice(0, maxEventsPerWrite);
    queue.writes++;
    try {
      const outcomes = await this.publisher.publish(
        orgId,
        batch.map((w) => w.published),
      );
      for (const [i, waiting] of batch.entries()) {
        const outcome = outcomes[i]!;
        if (outcome.status === "fulfilled") waiting.resolve(outcome.value);
        else waiting.reject(outcome.reason);
      }
    } catch (err) {
      for (const waiting of batch) waiting.reject(err);
    } finally {
      queue.writes--;
      if (queue.waiting.length > 0) void this.#write(orgId, queue);
      else if (queue.writes === 0) this.#queues.delete(orgId);
    }
  }
}
