// JSON Schemas of our messages as the gateway reads and writes them: proto field names, well-known types in their JSON forms.
import { type DescEnum, type DescField, type DescMessage, getOption, ScalarType } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { FieldBehavior, field_behavior } from "../../gen/google/api/field_behavior_pb.js";
import { commentOf } from "./comments.js";
import { boundsOf } from "./field-bounds.js";

export type JsonSchema = { [key: string]: unknown };

/**
 * Which way a message travels. Answers hold every field without explicit presence (the gateway writes them even when
 * empty), so those are required there; requests require only what the rules require, marked REQUIRED in the protos.
 */
export type Direction = "request" | "response";

/** Builds schemas, collecting every message and enum they refer to as a named component. */
export class SchemaSet {
  readonly components: Record<string, JsonSchema> = {};

  /** answered: the messages answers carry, by type name; the request side of one of these is named apart. */
  constructor(private readonly answered: ReadonlySet<string>) {}

  /** A reference to the message's component, built on first use. */
  ref(message: DescMessage, direction: Direction): JsonSchema {
    const wellKnown = wellKnownSchema(message);
    if (wellKnown) return wellKnown;
    // The request side of a message that answers carry too differs in what it requires: it gets its own name.
    const name = direction === "request" && this.answered.has(message.typeName) ? `${message.name}Input` : message.name;
    if (!this.components[name]) {
      this.components[name] = {};
      this.components[name] = this.object(message, direction);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  /** The message as an inline object schema, without the omitted fields (those a request's path already sets). */
  object(message: DescMessage, direction: Direction, omitted: ReadonlySet<DescField> = new Set()): JsonSchema {
    const fields = message.fields.filter((field) => !omitted.has(field));
    const required = fields.filter((field) => isRequired(field, direction)).map((field) => field.name);
    return {
      type: "object",
      ...describe(message),
      properties: Object.fromEntries(fields.map((field) => [field.name, this.field(field, direction)])),
      ...(required.length > 0 ? { required } : {}),
      ...oneofRule(message, direction),
      additionalProperties: false,
    };
  }

  field(field: DescField, direction: Direction): JsonSchema {
    return { ...this.#valueOf(field, direction), ...describe(field), ...boundsOf(field) };
  }

  #valueOf(field: DescField, direction: Direction): JsonSchema {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.#enumRef(field.enum);
      case "message":
        return this.ref(field.message, direction);
      case "list":
        return { type: "array", items: this.#itemOf(field, direction) };
      case "map":
        return { type: "object", additionalProperties: this.#itemOf(field, direction) };
    }
  }

  #itemOf(field: DescField & { fieldKind: "list" | "map" }, direction: Direction): JsonSchema {
    if (field.fieldKind === "list") {
      if (field.listKind === "message") return this.ref(field.message, direction);
      return field.listKind === "enum" ? this.#enumRef(field.enum) : scalarSchema(field.scalar);
    }
    if (field.mapKind === "message") return this.ref(field.message, direction);
    return field.mapKind === "enum" ? this.#enumRef(field.enum) : scalarSchema(field.scalar);
  }

  #enumRef(desc: DescEnum): JsonSchema {
    this.components[desc.name] ??= { type: "string", ...describe(desc), enum: desc.values.map((value) => value.name) };
    return { $ref: `#/components/schemas/${desc.name}` };
  }
}

/** The type names of the messages reachable from the given ones, themselves included. */
export function reachableMessages(roots: DescMessage[]): Set<string> {
  const seen = new Set<string>();
  const visit = (message: DescMessage) => {
    if (seen.has(message.typeName)) return;
    seen.add(message.typeName);
    for (const field of message.fields) if (field.message) visit(field.message);
  };
  roots.forEach(visit);
  return seen;
}

function isRequired(field: DescField, direction: Direction): boolean {
  if (direction === "request") return getOption(field, field_behavior).includes(FieldBehavior.REQUIRED);
  if (field.fieldKind === "list" || field.fieldKind === "map") return true;
  return field.fieldKind !== "message" && field.oneof === undefined && field.presence === FeatureSet_FieldPresence.IMPLICIT;
}

// A oneof's members are written only when set, and at most one is: an answer holds exactly one of them.
function oneofRule(message: DescMessage, direction: Direction): JsonSchema {
  const [oneof] = message.oneofs;
  if (!oneof || direction === "request") return {};
  return { oneOf: oneof.fields.map((field) => ({ required: [field.name] })) };
}

function describe(desc: DescMessage | DescField | DescEnum): JsonSchema {
  const text = commentOf(desc);
  return text ? { description: text } : {};
}

function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", minimum: 0, maximum: 4_294_967_295 };
    default:
      // Proto JSON writes 64-bit integers as strings: JavaScript's numbers cannot hold them all.
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
  }
}

/** The JSON forms proto JSON gives the well-known types, which are not written as objects of their fields. */
function wellKnownSchema(message: DescMessage): JsonSchema | undefined {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" };
    case "google.protobuf.Struct":
      return { type: "object" };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.FieldMask":
      return { type: "string", description: "Field names separated by commas." };
    default:
      return undefined;
  }
}
