// What the publish routes take beyond their messages' JSON, as the gateway's event-body.ts reads it: CloudEvents, the Idempotency-Key header.
import type { DescMethod } from "@bufbuild/protobuf";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { maxEventsPerBatch } from "../../services/shared/api-limits.js";
import type { JsonSchema, SchemaSet } from "./json-schema.js";

type Publish = "one" | "batch" | undefined;

function publishOf(method: DescMethod): Publish {
  if (method.parent.typeName !== IngestService.typeName) return undefined;
  if (method.name === IngestService.method.publishEvent.name) return "one";
  return method.name === IngestService.method.publishEvents.name ? "batch" : undefined;
}

/** The publish routes' bodies: our event's JSON, or CloudEvents in structured and batched modes. */
export function publishBody(method: DescMethod, schemas: SchemaSet, example: unknown): JsonSchema | undefined {
  const publish = publishOf(method);
  if (!publish) return undefined;
  const event = schemas.ref(method.input.fields.find((field) => field.name === "event" || field.name === "events")!.message!, "request");
  const cloudEvent = { $ref: "#/components/schemas/CloudEvent" };
  const batchBounds = { minItems: 1, maxItems: maxEventsPerBatch };
  const content =
    publish === "one"
      ? { "application/json": { schema: event, example }, "application/cloudevents+json": { schema: cloudEvent } }
      : {
          "application/json": { schema: batchSchema(event, batchBounds), example },
          "application/cloudevents-batch+json": { schema: { type: "array", items: cloudEvent, ...batchBounds } },
        };
  return { required: true, content };
}

// The batch route reads only "events" from its body: request_ids is for callers of the RPC that batch for others.
function batchSchema(event: JsonSchema, bounds: JsonSchema): JsonSchema {
  return {
    type: "object",
    properties: { events: { type: "array", items: event, ...bounds } },
    required: ["events"],
    additionalProperties: false,
  };
}

/** The Idempotency-Key header of a single publish, and the binary-mode CloudEvents attributes. */
export function publishHeaders(method: DescMethod): JsonSchema[] {
  if (publishOf(method) !== "one") return [];
  return ["Idempotency-Key", "ce-specversion", "ce-id", "ce-source", "ce-type", "ce-time"].map((name) => ({
    $ref: `#/components/parameters/${name}`,
  }));
}

/** Where the org stands against its plan: sent with every answer to a publish. */
export function quotaHeaders(method: DescMethod): Record<string, JsonSchema> {
  if (!publishOf(method)) return {};
  return Object.fromEntries(
    ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"].map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  );
}
