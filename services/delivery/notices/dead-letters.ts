// The dead letters of deliveries that will not be tried again on their own, as messages for the dead-letter stream.
import { create, toBinary } from "@bufbuild/protobuf";
import { DeadLetterSchema } from "../../../gen/triggers/v1/delivery_pb.js";
import type { OutboxMessage } from "../../shared/outbox.js";
import { deadLetterSubject } from "../../shared/streams.js";
import { deliveryView } from "../api/views.js";
import type { DeliveryRow } from "../deliveries.js";
import type { FailureReason } from "../webhook/retry-policy.js";

export const failureReasons: Record<FailureReason | "trimmed", string> = {
  exhausted: "every attempt failed",
  aborted: "the endpoint asked to stop (webhook-delivery: abort-message)",
  gone: "the endpoint answered 410 Gone",
  trimmed: "its subscription was stopped with too many deliveries waiting: the oldest were given up",
};

export function deadLetterMessage(delivery: DeliveryRow, reason: keyof typeof failureReasons): OutboxMessage {
  const letter = create(DeadLetterSchema, { orgId: delivery.org_id, delivery: deliveryView(delivery), reason: failureReasons[reason] });
  // A replayed delivery that fails again is a new dead letter: its attempt count tells the two apart.
  const messageId = `${delivery.id}.${delivery.attempt_count}`;
  return { subject: deadLetterSubject(delivery.org_id), data: toBinary(DeadLetterSchema, letter), messageId };
}
