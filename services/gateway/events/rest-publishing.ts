// POST /v1/events and /v1/events/batch, served in the gateway end to end: body, CloudEvents, key, rules, quota, stream, answer.
import { type DescMethod, type JsonValue, toJson, toJsonString } from "@bufbuild/protobuf";
import { IngestService, PublishEventResponseSchema, PublishEventsResultSchema } from "../../../gen/triggers/v1/ingest_pb.js";
import { missingKey } from "../../shared/authenticate.js";
import { InvalidField } from "../../shared/domain-errors.js";
import { apiJson } from "../../shared/json.js";
import type { EventIntake } from "../../shared/publishing/event-intake.js";
import type { Admission } from "../admission.js";
import { readRestBody } from "../request-body.js";
import type { RestCall, RouteServer } from "../rest-routes.js";
import { batchEvents, singleEvent } from "./event-body.js";
import { eventInput } from "./event-input.js";
import { chargeOf } from "./quota-charge.js";

export interface RestPublishingOptions {
  intake: EventIntake;
  admission: Admission;
  maxBodyBytes: number;
  /** The limit for a batch of events, which may hold many times one event's. */
  maxBatchBodyBytes: number;
}

/** The servers of the publishing routes, by the method whose http rule declares each. */
export function restPublishing(options: RestPublishingOptions): ReadonlyMap<DescMethod, RouteServer> {
  return new Map<DescMethod, RouteServer>([
    [IngestService.method.publishEvent, (call) => publishEvent(options, call)],
    [IngestService.method.publishEvents, (call) => publishEvents(options, call)],
  ]);
}

async function publishEvent(options: RestPublishingOptions, call: RestCall): Promise<string> {
  const { orgId, charge } = start(options, call);
  const body = await readRestBody(call.req, options.maxBodyBytes);
  const response = await options.intake.publishEvent(orgId, eventInput(singleEvent(body, call.header)), charge);
  return toJsonString(PublishEventResponseSchema, response, apiJson);
}

// Each event is read on its own, so that a malformed one is reported in its place while the others are published.
async function publishEvents(options: RestPublishingOptions, call: RestCall): Promise<string> {
  const { orgId, charge } = start(options, call);
  const body = await readRestBody(call.req, options.maxBatchBodyBytes);
  const { items, read } = batchEvents(body, call.header);
  const inputs = items.map((item, index) => () => eventInput(read(item, index), `events[${index}].`));
  const results = await options.intake.publishEvents(orgId, inputs, { charge });
  const json: JsonValue[] = results.map((result) => toJson(PublishEventsResultSchema, result, apiJson));
  return JSON.stringify({ results: json });
}

function start(options: RestPublishingOptions, { caller, query, onQuota }: RestCall) {
  for (const name of query.keys()) throw new InvalidField(name, `unknown query parameter "${name}"`);
  if (!caller) throw missingKey();
  return { orgId: caller.orgId, charge: chargeOf(options.admission, caller, onQuota) };
}
