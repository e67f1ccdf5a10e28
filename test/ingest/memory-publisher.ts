// A publisher that keeps what it is given in memory, or fails as JetStream does when it is down, for route tests.
import { ErrorCode } from "nats";
import type { EventPublisher } from "../../services/ingest/publisher.js";
import { StreamWriteError } from "../../services/ingest/stream-writer.js";
import type { PublishedEvent } from "../../services/shared/published-events.js";

export class MemoryPublisher implements EventPublisher {
  readonly published: Array<{ orgId: string; event: PublishedEvent }> = [];
  /** While set, every write fails as one JetStream did not answer in time. */
  down = false;

  async publish(orgId: string, events: PublishedEvent[]) {
    return events.map((event, i) => {
      if (this.down) return { status: "rejected" as const, reason: new StreamWriteError(ErrorCode.Timeout, "JetStream did not answer") };
      this.published.push({ orgId, event });
      return { status: "fulfilled" as const, value: { stream: "EVENTS", seq: this.published.length + i, duplicate: false } };
    });
  }
}
