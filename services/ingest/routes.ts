// The ingest service's RPCs, for callers inside the cluster: accept events, answering only once each is durable in JetStream.
import type { ConnectRouter } from "@connectrpc/connect";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { callerOf } from "../shared/authenticate.js";
import { InvalidField } from "../shared/domain-errors.js";
import type { EventIntake } from "../shared/publishing/event-intake.js";

export function ingestRoutes(intake: EventIntake) {
  return (router: ConnectRouter) =>
    router.service(IngestService, {
      publishEvent(req, ctx) {
        if (!req.event) throw new InvalidField("event", "event is required");
        return intake.publishEvent(callerOf(ctx).orgId, req.event);
      },

      // A proxy that gathers the events of many requests in one call names each event's request in request_ids.
      async publishEvents(req, ctx) {
        const items = req.events.map((input) => () => input);
        return { results: await intake.publishEvents(callerOf(ctx).orgId, items, { requestIds: req.requestIds }) };
      },
    });
}
