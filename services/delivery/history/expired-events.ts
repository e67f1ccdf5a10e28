// Reads the expired events stream: when the inbox no longer keeps an event, its deliveries and their attempts go too.
import { fromBinary } from "@bufbuild/protobuf";
import type { JetStreamClient, JsMsg } from "nats";
import { ExpiredEventsSchema } from "../../../gen/triggers/v1/event_pb.js";
import { isDependencyDown } from "../../shared/dependency-errors.js";
import type { Logger } from "../../shared/logger.js";
import { readStream, type StreamReader } from "../../shared/stream-reader.js";
import { consumers, expiredEventsStream } from "../../shared/streams.js";
import type { DeliveryStore } from "../delivery-store.js";

// After a failed delete the message comes back after this long, so that an outage is not a busy loop.
const retryDelayMs = 5_000;

export function startExpiredEventsReader(
  js: JetStreamClient,
  store: Pick<DeliveryStore, "forgetEvents">,
  logger: Logger,
): Promise<StreamReader> {
  async function handle(msg: JsMsg): Promise<void> {
    let expired: { orgId: string; eventIds: string[] };
    try {
      expired = fromBinary(ExpiredEventsSchema, msg.data);
    } catch (err) {
      logger.error({ err, stream_seq: msg.seq }, "unreadable expired events message terminated");
      return msg.term();
    }
    try {
      const forgotten = await store.forgetEvents(expired.orgId, expired.eventIds);
      logger.debug({ org_id: expired.orgId, events: expired.eventIds.length, deliveries: forgotten }, "expired events forgotten");
      msg.ack();
    } catch (err) {
      if (isDependencyDown(err)) logger.warn({ err }, "store unavailable; the expired events will be redelivered");
      else logger.error({ err, stream_seq: msg.seq }, "forgetting expired events failed; they will be redelivered");
      msg.nak(retryDelayMs);
    }
  }

  return readStream(js, expiredEventsStream.name, consumers.deliveryExpiredEvents.durable_name!, handle);
}
