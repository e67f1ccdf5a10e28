// The gateway's IngestService for Connect, gRPC and gRPC-Web clients: admitted and charged here, written through the same path as REST.
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { IngestService } from "../../../gen/triggers/v1/ingest_pb.js";
import { missingKey } from "../../shared/authenticate.js";
import { InvalidField } from "../../shared/domain-errors.js";
import type { EventIntake } from "../../shared/publishing/event-intake.js";
import { quotaHeaders } from "../../shared/quota.js";
import type { Admission } from "../admission.js";
import { callCredentials } from "../call-credentials.js";
import type { AddressOf } from "../client-address.js";
import { chargeOf } from "./quota-charge.js";

export function rpcPublishing(intake: EventIntake, admission: Admission, addressOf: AddressOf) {
  async function admitted(method: (typeof IngestService.methods)[number], ctx: HandlerContext) {
    const caller = await admission.admit(method, callCredentials(ctx, addressOf));
    if (!caller) throw missingKey();
    const charge = chargeOf(admission, caller, (quota) => {
      for (const [name, value] of Object.entries(quotaHeaders(quota))) ctx.responseHeader.set(name, value);
    });
    return { orgId: caller.orgId, charge };
  }

  return (router: ConnectRouter) =>
    router.service(IngestService, {
      async publishEvent(req, ctx) {
        const { orgId, charge } = await admitted(IngestService.method.publishEvent, ctx);
        if (!req.event) throw new InvalidField("event", "event is required");
        return intake.publishEvent(orgId, req.event, charge);
      },

      async publishEvents(req, ctx) {
        const { orgId, charge } = await admitted(IngestService.method.publishEvents, ctx);
        const items = req.events.map((input) => () => input);
        return { results: await intake.publishEvents(orgId, items, { requestIds: req.requestIds, charge }) };
      },
    });
}
