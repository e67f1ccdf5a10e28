// A publisher that keeps what it is given in memory, or fails as JetStream does when it is down, for route tests.
import { ErrorCode } from "nats";
import type { PublishedEvent } from "../../../services/shared/published-events.js";
import type { EventPublisher, StoredEvent } from "../../../services/shared/publishing/publisher.js";
import { StreamWriteError } from "../../../services/shared/publishing/stream-writer.js";

export class MemoryPublisher implements EventPublisher {
  readonly published: Array<{ orgId: string; event: PublishedEvent }> = [];
  /** While set, every write fails as one JetStream did not answer in time. */
  down = false;

  async publish(orgId: string, events: PublishedEvent[]): Promise<PromiseSettledResult<StoredEvent>[]> {
    return events.map((published) => {
      if (this.down) return { status: "rejected", reason: new StreamWriteError(ErrorCode.Timeout, "JetStream did not answer") };
      this.published.push({ orgId, event: published });
      return { status: "fulfilled", value: { event: published.event, duplicate: false } };
    });
  }
}
