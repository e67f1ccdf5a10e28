// What the events stream holds for an org: the messages written under its subject, decoded, in stream order.
import type { NatsConnection } from "nats";
import { decodePublishedEvents, type PublishedEvents } from "../../services/shared/published-events.js";
import { eventSubject, eventsStream } from "../../services/shared/streams.js";

export async function storedMessages(nc: NatsConnection, orgId: string): Promise<PublishedEvents[]> {
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(eventsStream.name);
  const found: PublishedEvents[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(eventsStream.name, { seq }).catch(() => undefined);
    const decoded = stored?.subject === eventSubject(orgId) ? decodePublishedEvents(stored.data) : undefined;
    if (decoded) found.push(decoded);
  }
  return found;
}
