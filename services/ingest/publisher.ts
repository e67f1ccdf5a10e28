// Writes accepted events to the events stream; a resolved publish means JetStream has stored the event.
import { headers } from "nats";
import { encodePublishedEvent, type PublishedEvent } from "../shared/published-event.js";
import { REQUEST_ID_HEADER } from "../shared/request-context.js";
import { eventSubject } from "../shared/streams.js";
import type { StreamWriter } from "./stream-writer.js";

// JetStream's de-duplication header: a message id seen within the stream's window is stored once.
const MSG_ID_HEADER = "Nats-Msg-Id";

export function createEventPublisher(writer: StreamWriter) {
  return {
    /**
     * Publishes without waiting on other publishes: callers run many at once, and JetStream acks them in a pipeline.
     * The event id is the message id, so a publish retried within the stream's window is stored once.
     */
    async publish(published: PublishedEvent, requestId: string | undefined): Promise<void> {
      const h = headers();
      h.set(MSG_ID_HEADER, published.event.id);
      if (requestId) h.set(REQUEST_ID_HEADER, requestId);
      await writer.write(eventSubject(published.orgId), encodePublishedEvent(published), h);
    },
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
