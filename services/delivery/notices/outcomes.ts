// Tells the inbox, over the delivery outcomes stream, how the deliveries of events ended.
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeliveryOutcomesSchema, EventDeliveryStatus } from "../../../gen/triggers/v1/event_pb.js";
import type { OutboxMessage } from "../../shared/outbox.js";
import { deliveryOutcomesSubject } from "../../shared/streams.js";
import type { EventOutcomeRow } from "../deliveries.js";

const statuses = { delivered: EventDeliveryStatus.DELIVERED, failed: EventDeliveryStatus.FAILED } as const;

/** One stream message for them all, whatever their orgs: each message costs far more than an outcome's bytes. */
export function outcomesMessage(rows: EventOutcomeRow[]): OutboxMessage | undefined {
  if (rows.length === 0) return undefined;
  const message = create(DeliveryOutcomesSchema, {
    outcomes: rows.map((row) => ({
      orgId: row.org_id,
      eventId: row.event_id,
      status: statuses[row.status],
      settledAt: timestampFromDate(row.settled_at),
    })),
  });
  return { subject: deliveryOutcomesSubject, data: toBinary(DeliveryOutcomesSchema, message), messageId: randomUUID() };
}
