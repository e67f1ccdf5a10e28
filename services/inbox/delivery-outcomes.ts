// Reads the delivery outcomes stream into the inbox's store, so that each event shows how its deliveries ended.
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { JetStreamClient, JsMsg } from "nats";
import { DeliveryOutcomesSchema, EventDeliveryStatus } from "../../gen/triggers/v1/event_pb.js";
import { isDependencyDown } from "../shared/dependency-errors.js";
import type { Logger } from "../shared/logger.js";
import { readStream, type StreamReader } from "../shared/stream-reader.js";
import { consumers, deliveryOutcomesStream } from "../shared/streams.js";
import type { DeliveryOutcomeRow, EventStore } from "./store.js";

// After a failed write the message comes back after this long, so that an outage is not a busy loop.
const retryDelayMs = 1_000;
// How many times outcomes come back for events the inbox has not stored yet.
const maxWaitsForEvents = 5;

const statuses = new Map([
  [EventDeliveryStatus.DELIVERED, "delivered"],
  [EventDeliveryStatus.FAILED, "failed"],
] as const);

export function startOutcomesConsumer(js: JetStreamClient, store: EventStore, logger: Logger): Promise<StreamReader> {
  async function handle(msg: JsMsg): Promise<void> {
    const rows = readable(msg);
    if (!rows) {
      logger.error({ stream_seq: msg.seq }, "unreadable delivery outcomes message terminated");
      return msg.term();
    }
    try {
      const { missing } = rows.length > 0 ? await store.addDeliveryOutcomes(rows) : { missing: 0 };
      // An event the projection is storing right now may have missed its status: the outcomes come again once it is in.
      // An event still missing after that is far behind in the events stream; it takes its status when stored.
      if (missing > 0 && msg.info.redeliveryCount <= maxWaitsForEvents) msg.nak(retryDelayMs);
      else msg.ack();
    } catch (err) {
      if (isDependencyDown(err)) logger.warn({ err }, "store unavailable; the outcomes will be redelivered");
      else logger.error({ err, stream_seq: msg.seq }, "recording delivery outcomes failed; they will be redelivered");
      msg.nak(retryDelayMs);
    }
  }

  // One message at a time: each already holds a batch, and the store keeps the latest outcome of an event whatever the order.
  return readStream(js, deliveryOutcomesStream.name, consumers.inboxDeliveryOutcomes.durable_name!, handle);
}

function readable(msg: JsMsg): DeliveryOutcomeRow[] | undefined {
  try {
    const { outcomes } = fromBinary(DeliveryOutcomesSchema, msg.data);
    return outcomes.flatMap(({ orgId, eventId, status, settledAt }) => {
      const stored = statuses.get(status as EventDeliveryStatus.DELIVERED | EventDeliveryStatus.FAILED);
      return stored && settledAt ? [{ event_id: eventId, org_id: orgId, status: stored, settled_at: timestampDate(settledAt) }] : [];
    });
  } catch {
    return undefined;
  }
}
