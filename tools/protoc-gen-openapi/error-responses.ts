// The errors each operation can answer, by HTTP status, with the ErrorReasons each may carry: the gateway's http-errors.ts, written out.
import type { RestRoute } from "../../services/gateway/rest-routes.js";
import type { JsonSchema } from "./json-schema.js";

interface ErrorResponse {
  name: string;
  description: string;
  /** An example of the error body, as the gateway writes it. */
  example: JsonSchema;
  headers?: string[];
}

const example = (code: string, message: string, reason?: string, field = "") => ({
  code,
  message,
  request_id: "0f8e4c1c-5b0e-4d0a-9a3b-2f1d7c9e8a61",
  ...(reason ? { details: [{ reason, field }] } : {}),
});

/** Every error status the gateway answers with, and what it means. */
const errorStatuses: Record<number, ErrorResponse> = {
  400: {
    name: "BadRequest",
    description:
      "The request is malformed or breaks a rule: `invalid_argument` with reason `ERROR_REASON_INVALID_FIELD` and the field at fault, or `failed_precondition` when what it names is in a state that forbids it.",
    example: example("invalid_argument", "type is required", "ERROR_REASON_INVALID_FIELD", "type"),
  },
  401: {
    name: "Unauthenticated",
    description: "No credentials, or an unknown, revoked, expired or malformed API key (or admin token).",
    example: example("unauthenticated", "unknown API key"),
  },
  403: {
    name: "PermissionDenied",
    description:
      "The API key lacks the scope the operation needs (`ERROR_REASON_MISSING_SCOPE`), or may not be used from the client's address (`ERROR_REASON_ADDRESS_NOT_ALLOWED`); or an operation of the operator's was called without the admin token.",
    example: example(
      "permission_denied",
      'this call needs an API key with the "admin" scope; this key has "events:write"',
      "ERROR_REASON_MISSING_SCOPE",
    ),
  },
  404: {
    name: "NotFound",
    description: "What the path names does not exist, or belongs to another org: the two look the same.",
    example: example("not_found", "event not found"),
  },
  413: {
    name: "TooLarge",
    description: "The body, or one of its fields, is larger than allowed (`ERROR_REASON_TOO_LARGE`).",
    example: example("resource_exhausted", "the request body is larger than 1048576 bytes", "ERROR_REASON_TOO_LARGE"),
  },
  415: {
    name: "UnsupportedMediaType",
    description: "The body is declared as something other than JSON.",
    example: example("invalid_argument", 'unsupported content-type "text/plain": send application/json'),
  },
  422: {
    name: "IdempotencyKeyReused",
    description: "The idempotency key was used in the last 24 hours for a different event (`ERROR_REASON_IDEMPOTENCY_KEY_REUSED`).",
    example: example(
      "failed_precondition",
      "idempotency_key was used in the last 24 hours for a different event",
      "ERROR_REASON_IDEMPOTENCY_KEY_REUSED",
      "idempotency_key",
    ),
  },
  429: {
    name: "RateLimited",
    description:
      "Too many requests (`ERROR_REASON_RATE_LIMITED`): the org's plan allows no more events now, or the client's address failed to authenticate too often. Retry-After says when to try again.",
    example: example("resource_exhausted", "the org's plan allows 100 events a minute", "ERROR_REASON_RATE_LIMITED"),
    headers: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
  },
  503: {
    name: "Unavailable",
    description:
      "A service behind the gateway is unavailable for a moment: retry with backoff. One that went away while answering may have done what was asked: retry a publish with the same idempotency key, and it is stored once.",
    example: example("unavailable", "IngestService is unavailable, try again"),
  },
};

/** The error statuses of one route, as references to the shared responses; `default` covers the unexpected (500, 504). */
export function errorResponses(route: RestRoute): Record<string, JsonSchema> {
  const statuses = [
    400,
    401,
    403,
    ...(route.segments.some((segment) => "field" in segment) ? [404] : []),
    ...(route.body ? [413, 415] : []),
    ...(route.method.name === "PublishEvent" ? [422] : []),
    429,
    503,
  ];
  const responses = statuses.map((status) => [String(status), { $ref: `#/components/responses/${errorStatuses[status]!.name}` }]);
  return { ...Object.fromEntries(responses), default: { $ref: "#/components/responses/Unexpected" } };
}

/** The shared error responses, each with the error body's schema and an example. */
export function errorComponents(): Record<string, JsonSchema> {
  const responses = Object.values(errorStatuses).map(({ name, description, example, headers = [] }) => [
    name,
    {
      description,
      headers: Object.fromEntries(["X-Request-Id", ...headers].map((header) => [header, { $ref: `#/components/headers/${header}` }])),
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" }, example } },
    },
  ]);
  const unexpected = {
    description: "Something unexpected: `internal` (500), or `deadline_exceeded` (504) when a service took too long.",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
  return { ...Object.fromEntries(responses), Unexpected: unexpected };
}
