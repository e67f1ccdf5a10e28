// What became of an event, in order: from the inbox's own record and the deliveries the delivery service reports.
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Delivery } from "../../gen/triggers/v1/delivery_pb.js";
import { EventHistoryStatus, type EventStatusChange, EventStatusChangeSchema } from "../../gen/triggers/v1/inbox_pb.js";
import type { EventDetail } from "./store.js";

type Change = { status: EventHistoryStatus; at: Date };

export function historyOf(row: EventDetail, deliveries: Delivery[]): EventStatusChange[] {
  const changes: Change[] = [{ status: EventHistoryStatus.RECEIVED, at: row.received_at }];
  const queued = deliveries.flatMap(({ createdAt }) => (createdAt ? [timestampDate(createdAt)] : []));
  if (queued.length > 0) changes.push({ status: EventHistoryStatus.QUEUED, at: new Date(Math.min(...queued.map(Number))) });
  if (row.delivery_status && row.settled_at) {
    const status = row.delivery_status === "delivered" ? EventHistoryStatus.DELIVERED : EventHistoryStatus.FAILED;
    changes.push({ status, at: row.settled_at });
  }
  if (row.acked_at) changes.push({ status: EventHistoryStatus.ACKED, at: row.acked_at });
  return changes
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map(({ status, at }) => create(EventStatusChangeSchema, { status, at: timestampFromDate(at) }));
}

export function attemptsOf(deliveries: Delivery[]): number {
  return deliveries.reduce((sum, delivery) => sum + delivery.attempts.length, 0);
}
