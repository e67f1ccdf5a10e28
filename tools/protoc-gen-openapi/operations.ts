// One OpenAPI operation per REST route of the gateway: its parameters, body, answer, errors and security.
import { type DescField, type DescMethod, getOption, hasOption } from "@bufbuild/protobuf";
import { any_key, required_scope } from "../../gen/triggers/v1/access_pb.js";
import { isQueryable } from "../../services/gateway/rest-messages.js";
import type { RestRoute } from "../../services/gateway/rest-routes.js";
import { commentOf } from "./comments.js";
import { errorResponses } from "./error-responses.js";
import { type OperationExample, operationExamples } from "./examples.js";
import type { JsonSchema, SchemaSet } from "./json-schema.js";
import { publishBody, publishHeaders, quotaHeaders } from "./publish-routes.js";

/** The operation's id: its RPC's name in lower camel case, as SDKs name methods. */
function operationId(method: DescMethod): string {
  return method.name[0]!.toLowerCase() + method.name.slice(1);
}

/** The tag grouping a service's operations: its name without "Service". */
export function tagOf(method: DescMethod): string {
  return method.parent.name.replace(/Service$/, "");
}

export function operationOf(route: RestRoute, schemas: SchemaSet): JsonSchema {
  const id = operationId(route.method);
  const example = operationExamples[id];
  if (!example) throw new Error(`${id} has no example: add one to tools/protoc-gen-openapi/examples.ts`);
  const comment = commentOf(route.method);
  // The first clause names the operation in the sidebar; the whole comment describes it.
  const summary = comment.split(/[.:;](\s|$)/)[0];
  const access = accessOf(route.method);
  const body = requestBody(route, schemas, example);
  return {
    operationId: id,
    tags: [tagOf(route.method)],
    summary,
    description: [comment, access.needs].filter(Boolean).join("\n\n"),
    parameters: [
      ...pathParameters(route, schemas, example),
      ...queryParameters(route, schemas),
      ...publishHeaders(route.method),
      ...streamHeaders(route.method),
    ],
    ...(body ? { requestBody: body } : {}),
    responses: { "200": success(route, schemas, example), ...errorResponses(route) },
    security: access.security,
  };
}

/** What a caller needs: a key with the method's scope, any key that works, or the operator's admin token. */
function accessOf(method: DescMethod): { needs: string; security: JsonSchema[] } {
  const key = (scopes: string[]) => [{ ApiKey: scopes }, { ApiKeyHeader: scopes }];
  if (getOption(method, any_key)) return { needs: "Needs an API key, with any scopes.", security: key([]) };
  if (!hasOption(method, required_scope)) return { needs: "Needs the operator's admin token.", security: [{ AdminToken: [] }] };
  const scope = getOption(method, required_scope);
  return { needs: `Needs an API key with the \`${scope}\` scope.`, security: key([scope]) };
}

function pathFields(route: RestRoute): DescField[] {
  return route.segments.flatMap((segment) => ("field" in segment ? [segment.field] : []));
}

function pathParameters(route: RestRoute, schemas: SchemaSet, example: OperationExample): JsonSchema[] {
  return pathFields(route).map((field) => ({
    name: field.name,
    in: "path",
    required: true,
    schema: schemas.field(field, "request"),
    ...(example.path?.[field.name] ? { example: example.path[field.name] } : {}),
  }));
}

// What the gateway reads from the query: the fields text can set that neither the path nor the body sets.
function queryParameters(route: RestRoute, schemas: SchemaSet): JsonSchema[] {
  if (route.body === "*") return [];
  const taken = new Set<DescField>([...pathFields(route), ...(route.body ? [route.body] : [])]);
  return route.method.input.fields
    .filter((field) => !taken.has(field) && isQueryable(field))
    .map((field) => {
      const { description, ...schema } = schemas.field(field, "request");
      const list = field.fieldKind === "list" ? { style: "form", explode: true } : {};
      return { name: field.name, in: "query", ...(description ? { description } : {}), schema, ...list };
    });
}

function requestBody(route: RestRoute, schemas: SchemaSet, example: OperationExample): JsonSchema | undefined {
  if (route.body === undefined) return undefined;
  const published = publishBody(route.method, schemas, example.request);
  if (published) return published;
  const schema =
    route.body === "*" ? schemas.object(route.method.input, "request", new Set(pathFields(route))) : schemas.field(route.body, "request");
  return { required: true, content: { "application/json": { schema, ...(example.request ? { example: example.request } : {}) } } };
}

// A stream's events are sent as Server-Sent Events: what EventSource clients read, reconnecting by themselves.
function streamHeaders(method: DescMethod): JsonSchema[] {
  if (method.methodKind !== "server_streaming") return [];
  const description = "The `id:` of the last event received: the stream resumes after it. EventSource clients send it when they reconnect.";
  return [{ name: "Last-Event-ID", in: "header", description, schema: { type: "string" } }];
}

function streamSuccess(route: RestRoute, schemas: SchemaSet, example: OperationExample): JsonSchema {
  const { description: _, ...event } = schemas.ref(
    route.method.output.fields.find((field) => field.name === "event")!.message!,
    "response",
  );
  return {
    description: [
      "A stream of Server-Sent Events. Each event's `data:` is an event's JSON, as this schema gives it, and its `id:` the",
      "stream's cursor after it. A comment (`: heartbeat`) is sent while the stream is idle. An `event: reconnect`, whose",
      "data holds the `cursor` to go on from and the `reason`, comes before the server ends the stream: when it restarts",
      "or the reader fell behind. EventSource reconnects by itself, sending the last `id:` as `Last-Event-ID`.",
    ].join(" "),
    headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
    content: { "text/event-stream": { schema: { type: "string", "x-event-schema": event }, example: example.response } },
  };
}

function success(route: RestRoute, schemas: SchemaSet, example: OperationExample): JsonSchema {
  if (route.method.methodKind === "server_streaming") return streamSuccess(route, schemas, example);
  const schema = route.responseBody ? schemas.field(route.responseBody, "response") : schemas.ref(route.method.output, "response");
  const { description: _, ...unDescribed } = schema;
  return {
    description: "OK",
    headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" }, ...quotaHeaders(route.method) },
    content: { "application/json": { schema: unDescribed, example: example.response } },
  };
}
