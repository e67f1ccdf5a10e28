// The ingest service's RPCs: accept events, answering only once each is durable in JetStream.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ErrorInfoSchema, type Event, type EventInput } from "../../gen/triggers/v1/event_pb.js";
import {
  EventStatus,
  IngestService,
  PublishEventsResultSchema,
  type PublishEventResponseSchema,
  type PublishEventsResult,
} from "../../gen/triggers/v1/ingest_pb.js";
import { callerOf } from "../shared/authenticate.js";
import { invalidField, toConnectError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { acceptableRequestId, currentRequestId } from "../shared/request-context.js";
import { acceptEvent } from "./event-rules.js";
import type { EventPublisher } from "./publisher.js";

const maxBatchSize = 1000;

type PublishEventResponseInit = MessageInitShape<typeof PublishEventResponseSchema>;

function accepted(event: Event): PublishEventResponseInit {
  return { id: event.id, receivedAt: event.receivedAt, status: EventStatus.ACCEPTED };
}

export function ingestRoutes(publisher: EventPublisher, logger: Logger) {
  // The request id travels with each event: a batch carries events of many requests.
  async function publishOne(orgId: string, input: EventInput, requestId: string | undefined, fieldPrefix = "") {
    const { event, data } = acceptEvent(input, fieldPrefix);
    await publisher.publish({ orgId, event, data }, requestId);
    logger.debug({ org_id: orgId, event_id: event.id, type: event.type, request_id: requestId }, "event accepted");
    return accepted(event);
  }

  return (router: ConnectRouter) =>
    router.service(IngestService, {
      async publishEvent(req, ctx) {
        if (!req.event) throw invalidField("event", "event is required");
        return publishOne(callerOf(ctx).orgId, req.event, currentRequestId());
      },

      async publishEvents(req, ctx) {
        const { orgId } = callerOf(ctx);
        if (req.events.length === 0) throw invalidField("events", "events must hold at least one event");
        if (req.events.length > maxBatchSize) throw invalidField("events", `events holds more than ${maxBatchSize} events`);
        if (req.requestIds.length > 0 && req.requestIds.length !== req.events.length) {
          throw invalidField("request_ids", "request_ids must be empty or hold one id per event");
        }
        const requestId = currentRequestId();
        const settled = await Promise.allSettled(
          req.events.map((input, i) => publishOne(orgId, input, acceptableRequestId(req.requestIds[i]) ?? requestId, `events[${i}].`)),
        );
        return { results: settled.map((outcome) => batchResult(outcome, logger)) };
      },
    });
}

function batchResult(outcome: PromiseSettledResult<PublishEventResponseInit>, logger: Logger): PublishEventsResult {
  if (outcome.status === "fulfilled") {
    return create(PublishEventsResultSchema, { result: { case: "accepted", value: outcome.value } });
  }
  const err = toConnectError(outcome.reason, logger);
  const error = { code: codeToString(err.code), message: err.rawMessage, info: err.findDetails(ErrorInfoSchema)[0] };
  return create(PublishEventsResultSchema, { result: { case: "error", value: error } });
}
