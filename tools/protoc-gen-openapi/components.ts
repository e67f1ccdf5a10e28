// The parts of the document that no message describes: the error body, CloudEvents, headers and the ways to authenticate.
import { Code } from "@connectrpc/connect";
import { idempotencyKeyPattern } from "../../services/shared/api-limits.js";
import { codeToString } from "../../services/shared/connect-protocol.js";
import type { JsonSchema } from "./json-schema.js";

const codes = Object.values(Code)
  .filter((code): code is Code => typeof code === "number")
  .map(codeToString);

export const errorSchema: JsonSchema = {
  type: "object",
  description: "Every error's body.",
  properties: {
    code: { type: "string", enum: codes, description: "The Connect code: what kind of error, whatever the HTTP status." },
    message: { type: "string", description: "What went wrong, for people." },
    request_id: { type: "string", description: "The request's id: give it when asking for help, to find the request in the logs." },
    details: { type: "array", items: { $ref: "#/components/schemas/ErrorInfo" }, description: "Why, for programs." },
  },
  required: ["code", "message", "request_id"],
  additionalProperties: false,
};

export const cloudEventSchema: JsonSchema = {
  type: "object",
  description:
    "A CloudEvent 1.0 in structured mode. `type`, `source` and `time` become the event's type, source and occurred_at; `data` its data (a JSON object); `id` with `source` its idempotency key, so a CloudEvent sent twice is stored once.",
  properties: {
    specversion: { const: "1.0" },
    id: { type: "string", minLength: 1 },
    source: { type: "string", minLength: 1 },
    type: { type: "string", minLength: 1 },
    time: { type: "string", format: "date-time" },
    datacontenttype: { type: "string", description: "application/json, or absent." },
    data: { type: "object" },
  },
  required: ["specversion", "id", "source", "type"],
};

const header = (description: string, schema: JsonSchema = { type: "integer", minimum: 0 }) => ({ description, schema });

export const headers: Record<string, JsonSchema> = {
  "X-Request-Id": header("The request's id, sent back; one is made when the request has none.", { type: "string" }),
  "RateLimit-Limit": header("Events the org may publish a minute."),
  "RateLimit-Remaining": header("Events it may still publish now."),
  "RateLimit-Reset": header("Seconds until it may publish a full minute's worth again."),
  "Retry-After": header("Seconds to wait before trying again."),
};

const ceHeader = (name: string, description: string) => ({ name: `ce-${name}`, in: "header", description, schema: { type: "string" } });

export const parameters: Record<string, JsonSchema> = {
  "Idempotency-Key": {
    name: "Idempotency-Key",
    in: "header",
    description:
      "Makes a retry safe: for 24 hours, a publish with the same key stores nothing new and answers the event stored first, marked as a duplicate. Same as the event's idempotency_key (or dedup_id).",
    schema: { type: "string", pattern: idempotencyKeyPattern.source },
  },
  "ce-specversion": ceHeader(
    "specversion",
    'Binary-mode CloudEvents: "1.0". With it, the body is the event\'s data and ce-id, ce-source, ce-type are required.',
  ),
  "ce-id": ceHeader("id", "Binary-mode CloudEvents: the event's id; with ce-source, its idempotency key."),
  "ce-source": ceHeader("source", "Binary-mode CloudEvents: the event's source."),
  "ce-type": ceHeader("type", "Binary-mode CloudEvents: the event's type."),
  "ce-time": ceHeader("time", "Binary-mode CloudEvents: when it happened (RFC 3339)."),
};

export const securitySchemes: Record<string, JsonSchema> = {
  ApiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "tk_live_…",
    description: "An API key of the org, as `Authorization: Bearer <key>`. Each operation says which scope the key needs.",
  },
  ApiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key", description: "The same API key, in the X-API-Key header." },
  AdminToken: {
    type: "http",
    scheme: "bearer",
    description: "The operator's admin token (ADMIN_TOKEN), for creating orgs and changing their plans.",
  },
};
