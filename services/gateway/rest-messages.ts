// Turns a REST request (path variables, query, JSON body) into the RPC's request message, and its response into JSON.
import {
  type DescField,
  type DescMessage,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  type MessageShape,
  ScalarType,
} from "@bufbuild/protobuf";
import { InvalidField } from "../shared/domain-errors.js";
import type { RestRoute } from "./rest-routes.js";

/** The request message of route, or invalid_argument naming the field at fault. */
export function requestMessage(
  route: RestRoute,
  params: Map<DescField, string>,
  query: URLSearchParams,
  body: JsonValue | undefined,
): Message {
  const json = bodyJson(route, body);
  for (const [key, values] of groupQuery(query)) setFromText(json, queryField(route, params, key), values);
  for (const [field, value] of params) setFromText(json, field, [value]);
  maskFromBody(route, json, body);
  return decode(route, json);
}

/**
 * A PATCH that does not say which fields it changes changes those its body holds, as grpc-gateway does: the body's
 * keys become the request's update_mask (google.protobuf.FieldMask) unless the query set one.
 */
function maskFromBody(route: RestRoute, json: JsonObject, body: JsonValue | undefined): void {
  const mask = route.method.input.fields.find((field) => field.name === "update_mask");
  const isMask = mask?.fieldKind === "message" && mask.message.typeName === "google.protobuf.FieldMask";
  if (!isMask || typeof route.body !== "object" || route.body.fieldKind !== "message" || !isObject(body)) return;
  if (json[mask.name] !== undefined || json[mask.jsonName] !== undefined) return;
  const fields = route.body.message.fields;
  const paths = Object.keys(body).map((key) => fields.find((field) => field.name === key || field.jsonName === key)?.jsonName ?? key);
  json[mask.name] = paths.join(",");
}

/** The response's proto-named JSON as the REST answer: as it is, or only its response_body field when the rule names one. */
export function responseText(route: RestRoute, responseJson: Buffer): Buffer | string {
  if (!route.responseBody) return responseJson;
  const json = JSON.parse(responseJson.toString()) as JsonObject;
  return JSON.stringify(json[route.responseBody.name] ?? {});
}

function bodyJson(route: RestRoute, body: JsonValue | undefined): JsonObject {
  if (route.body === undefined || body === undefined) return {};
  if (route.body !== "*") return { [route.body.name]: body };
  if (!isObject(body)) throw new InvalidField("", "the request body must be a JSON object");
  return { ...body };
}

function groupQuery(query: URLSearchParams): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of query) grouped.set(key, [...(grouped.get(key) ?? []), value]);
  return grouped;
}

// Query parameters set the scalar fields that neither the body nor the path sets, by proto or JSON name.
function queryField(route: RestRoute, params: Map<DescField, string>, key: string): DescField {
  const field = route.method.input.fields.find((candidate) => candidate.name === key || candidate.jsonName === key);
  if (!field || route.body === "*" || route.body === field || params.has(field)) {
    throw new InvalidField(key, `unknown query parameter "${key}"`);
  }
  if (!isQueryable(field)) throw new InvalidField(key, `"${key}" cannot be set from the query`);
  return field;
}

/** Whether text can set the field: a scalar, an enum, a list of them, or a well-known type whose JSON is a string. */
export function isQueryable(field: DescField): boolean {
  const scalar = field.fieldKind === "scalar" || field.fieldKind === "enum";
  const scalarList = field.fieldKind === "list" && field.listKind !== "message";
  const writtenAsText = field.fieldKind === "message" && textualTypes.has(field.message.typeName);
  return scalar || scalarList || writtenAsText;
}

// Well-known types whose JSON is a string, so that a query parameter can hold one (`?update_mask=url,description`).
const textualTypes = new Set(["google.protobuf.FieldMask", "google.protobuf.Timestamp", "google.protobuf.Duration"]);

// Text becomes the JSON the field's type takes: proto JSON reads numbers and enums from strings, booleans it does not.
function setFromText(json: JsonObject, field: DescField, values: string[]): void {
  if (field.fieldKind !== "list" && values.length > 1) throw new InvalidField(field.name, `"${field.name}" is given more than once`);
  const converted = values.map((value) => textToJson(field, value));
  delete json[field.jsonName];
  json[field.name] = field.fieldKind === "list" ? converted : converted[0]!;
}

function textToJson(field: DescField, value: string): JsonValue {
  if (!isBool(field)) return value;
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidField(field.name, `"${field.name}" must be true or false`);
}

function isBool(field: DescField): boolean {
  const scalar = field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar");
  return scalar && field.scalar === ScalarType.BOOL;
}

function decode(route: RestRoute, json: JsonObject): Message {
  // With a body field, the client wrote that field's content: name fields as they appear in its JSON.
  const bodyField = typeof route.body === "object" ? `${route.body.name}.` : undefined;
  return decodeJson(route.method.input, json, (path) => (bodyField && path.startsWith(bodyField) ? path.slice(bodyField.length) : path));
}

/** The message of schema the JSON holds, or invalid_argument naming the field at fault as `fieldName` writes its path. */
export function decodeJson<Desc extends DescMessage>(
  schema: Desc,
  json: JsonObject,
  fieldName: (path: string) => string = (path) => path,
): MessageShape<Desc> {
  try {
    return fromJson(schema, json);
  } catch (err) {
    const fault = faultyField(schema, json);
    const field = fieldName(fault?.path ?? "");
    throw new InvalidField(field, fault?.unknown ? `unknown field "${field}"` : problem(err as Error, field));
  }
}

interface Fault {
  /** The dotted path of the field, or of the unknown key. */
  path: string;
  /** Whether the key names no field of its message. */
  unknown: boolean;
}

/** The first field whose JSON fromJson refuses, found by decoding one key at a time. */
function faultyField(schema: DescMessage, json: JsonObject): Fault | undefined {
  for (const [key, value] of Object.entries(json)) {
    if (decodes(schema, { [key]: value })) continue;
    const field = schema.fields.find((candidate) => candidate.name === key || candidate.jsonName === key);
    if (!field) return { path: key, unknown: true };
    const nested = field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.");
    const inner = nested && isObject(value) ? faultyField(field.message, value) : undefined;
    return inner ? { ...inner, path: `${field.name}.${inner.path}` } : { path: field.name, unknown: false };
  }
  return undefined;
}

function decodes(schema: DescMessage, json: JsonObject): boolean {
  try {
    fromJson(schema, json);
    return true;
  } catch {
    return false;
  }
}

// protobuf-es says why in its error's cause, or after a "cannot decode ... from JSON:" that names the field as proto
// does; the field is named our way already. test/gateway/rest-routes.test.ts holds this to protobuf-es's wording.
function problem(err: Error, field: string): string {
  const cause = err.cause instanceof Error ? err.cause.message : err.message.replace(/^cannot decode .*? from JSON:? ?/, "");
  return field ? `invalid value for "${field}": ${cause}` : `invalid request: ${cause}`;
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
