// A first attempt's record as the sender hands it to the recorder: sent straight from the stream, its delivery not yet written.
import { v7 as uuidv7 } from "uuid";
import type { AttemptRecord } from "../../services/delivery/deliveries.js";
import type { SubscriptionRow } from "../../services/delivery/subscriptions/store.js";
import type { AttemptOutcome } from "../../services/delivery/webhook/post.js";

/** Of a new event unless one is named, to the subscription, with the body and request id it was published with. */
export function firstAttemptRecord(
  sub: Pick<SubscriptionRow, "id" | "org_id" | "url" | "secret">,
  outcome: AttemptOutcome,
  verdict: AttemptRecord["verdict"],
  { eventId = uuidv7(), body = '{"n":1}', requestId = "" }: { eventId?: string; body?: string; requestId?: string } = {},
): AttemptRecord {
  return {
    delivery: {
      id: uuidv7(),
      orgId: sub.org_id,
      eventId,
      eventType: "order.created",
      subscriptionId: sub.id,
      stored: false,
      attemptCount: 0,
      url: sub.url,
      secrets: [sub.secret],
      body,
      requestId,
      createdAt: new Date(),
    },
    attemptId: uuidv7(),
    startedAt: new Date(),
    outcome,
    verdict,
  };
}
