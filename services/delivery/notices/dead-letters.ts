// Writes the deliveries that will not be tried again on their own to the dead-letter stream.
import { create, toBinary } from "@bufbuild/protobuf";
import type { JetStreamClient } from "nats";
import { DeadLetterSchema } from "../../../gen/triggers/v1/delivery_pb.js";
import { deadLetterSubject } from "../../shared/streams.js";
import { deliveryView } from "../api/views.js";
import type { DeliveryRow } from "../deliveries.js";
import type { FailureReason } from "../webhook/retry-policy.js";

export const failureReasons: Record<FailureReason, string> = {
  exhausted: "every attempt failed",
  aborted: "the endpoint asked to stop (webhook-delivery: abort-message)",
  gone: "the endpoint answered 410 Gone",
};

export async function publishDeadLetter(js: JetStreamClient, delivery: DeliveryRow, reason: FailureReason): Promise<void> {
  const letter = create(DeadLetterSchema, { orgId: delivery.org_id, delivery: deliveryView(delivery), reason: failureReasons[reason] });
  // A replayed delivery that fails again is a new dead letter: its attempt count tells the two apart.
  const msgID = `${delivery.id}.${delivery.attempt_count}`;
  await js.publish(deadLetterSubject(delivery.org_id), toBinary(DeadLetterSchema, letter), { msgID });
}
