// Writes accepted events to the events stream; a resolved publish means JetStream has stored the event.
import { headers, type JetStreamClient } from "nats";
import type { Event } from "../../gen/triggers/v1/event_pb.js";
import { encodePublishedEvent } from "../shared/published-event.js";
import { REQUEST_ID_HEADER, currentRequestId } from "../shared/request-context.js";
import { eventSubject } from "../shared/streams.js";

export function createEventPublisher(js: JetStreamClient, timeoutMs: number) {
  return {
    /**
     * Publishes without waiting on other publishes: callers run many at once, and JetStream acks them in a pipeline.
     * The event id is the message id, so a publish retried within the stream's window is stored once.
     */
    async publish(orgId: string, event: Event): Promise<void> {
      const data = encodePublishedEvent({ orgId, event });
      const h = headers();
      const requestId = currentRequestId();
      if (requestId) h.set(REQUEST_ID_HEADER, requestId);
      await js.publish(eventSubject(orgId), data, { msgID: event.id, headers: h, timeout: timeoutMs });
    },
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
