// The ingest service's RPCs: accept events, answering only once each is durable in JetStream.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  EventStatus,
  IngestService,
  type PublishEventResponseSchema,
  type PublishEventsResult,
  PublishEventsResultSchema,
} from "../../gen/triggers/v1/ingest_pb.js";
import { maxEventsPerBatch } from "../shared/api-limits.js";
import { callerOf } from "../shared/authenticate.js";
import { InvalidField } from "../shared/domain-errors.js";
import { itemError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { PublishedEvent } from "../shared/published-events.js";
import { acceptableRequestId, currentRequestId } from "../shared/request-context.js";
import { acceptEvent } from "./event-rules.js";
import type { EventPublisher, StoredEvent } from "./publisher.js";

type PublishEventResponseInit = MessageInitShape<typeof PublishEventResponseSchema>;

function accepted({ event, duplicate }: StoredEvent): PublishEventResponseInit {
  return { id: event.id, receivedAt: event.receivedAt, status: EventStatus.ACCEPTED, duplicate };
}

export function ingestRoutes(publisher: EventPublisher, logger: Logger) {
  function logAccepted(orgId: string, { requestId }: PublishedEvent, { event, duplicate }: StoredEvent) {
    const fields = { org_id: orgId, event_id: event.id, type: event.type, request_id: requestId };
    logger.debug(fields, duplicate ? "event repeated; the original stands" : "event accepted");
  }

  return (router: ConnectRouter) =>
    router.service(IngestService, {
      async publishEvent(req, ctx) {
        const { orgId } = callerOf(ctx);
        if (!req.event) throw new InvalidField("event", "event is required");
        const published = { ...acceptEvent(req.event), requestId: currentRequestId() ?? "" };
        const [outcome] = await publisher.publish(orgId, [published]);
        if (outcome!.status === "rejected") throw outcome!.reason;
        logAccepted(orgId, published, outcome!.value);
        return accepted(outcome!.value);
      },

      // Every event is checked on its own; those accepted are written together, and each gets its own result.
      async publishEvents(req, ctx) {
        const { orgId } = callerOf(ctx);
        if (req.events.length === 0) throw new InvalidField("events", "events must hold at least one event");
        if (req.events.length > maxEventsPerBatch) throw new InvalidField("events", `events holds more than ${maxEventsPerBatch} events`);
        if (req.requestIds.length > 0 && req.requestIds.length !== req.events.length) {
          throw new InvalidField("request_ids", "request_ids must be empty or hold one id per event");
        }
        // The request id travels with each event: the gateway gathers the events of many requests in one call.
        const callRequestId = currentRequestId() ?? "";
        const results: PublishEventsResult[] = [];
        const valid: { index: number; published: PublishedEvent }[] = [];
        req.events.forEach((input, index) => {
          try {
            const requestId = acceptableRequestId(req.requestIds[index]) ?? callRequestId;
            valid.push({ index, published: { ...acceptEvent(input, `events[${index}].`), requestId } });
          } catch (err) {
            results[index] = failed(err, logger);
          }
        });
        const outcomes = await publisher.publish(
          orgId,
          valid.map(({ published }) => published),
        );
        valid.forEach(({ index, published }, i) => {
          const outcome = outcomes[i]!;
          if (outcome.status === "fulfilled") logAccepted(orgId, published, outcome.value);
          results[index] = outcome.status === "fulfilled" ? succeeded(outcome.value) : failed(outcome.reason, logger);
        });
        return { results };
      },
    });
}

function succeeded(stored: StoredEvent): PublishEventsResult {
  return create(PublishEventsResultSchema, { result: { case: "accepted", value: accepted(stored) } });
}

function failed(reason: unknown, logger: Logger): PublishEventsResult {
  return create(PublishEventsResultSchema, { result: { case: "error", value: itemError(reason, logger) } });
}
