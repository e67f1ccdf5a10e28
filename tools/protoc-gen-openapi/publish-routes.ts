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
  const eventInput = method.input.fields.find((field) => field.name === "event" || field.name === "events")!.message!;
  const event = schemas.ref(eventInput, "request");
  withDedupId(schemas.components[eventInput.name]!);
  const cloudEvent = { $ref: "#/components/schemas/CloudEvent" };
  const batchBounds = { minItems: 1, maxItems: maxEventsPerBatch };
  const content =
    publish === "one"
      ? { "application/json": { schema: event, example }, "application/cloudevents+json": { schema: cloudEvent } }
      : {
          "application/json": { schema: batchSchema(event, batchBounds), example },
          "application/cloudevents-batch+json": { schema: { type: "array", items: cloudEvent, ...batchBounds } },
        };
  return { required: true, description: publish === "one" ? oneEventBody : undefined, content };
}

const oneEventBody =
  "The event as JSON, or a CloudEvent: structured (`application/cloudevents+json`), or binary, its attributes in the `ce-*` headers and the body its data, any JSON object.";

// The gateway reads dedup_id as another name for idempotency_key, in a single event and in each of a batch's.
function withDedupId(eventInput: JsonSchema): void {
  const properties = eventInput.properties as Record<string, JsonSchema>;
  properties.dedup_id = { ...properties.idempotency_key, description: "Another name for idempotency_key." };
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
