// Text Postgres can store: a request whose text fields hold a NUL character is refused naming the field, in every service.
import { type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import type { Interceptor } from "@connectrpc/connect";
import { InvalidField } from "./domain-errors.js";

/**
 * Messages the walk leaves alone: event data (a Struct) and events themselves are read by the event rules, which
 * refuse a NUL naming the field within its batch, while the other events of a batch go on.
 */
const readElsewhere = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "triggers.v1.EventInput"]);

/**
 * Postgres cannot hold U+0000 in text: a NUL reaching a statement fails it ("invalid byte sequence for encoding UTF8:
 * 0x00"), which was a 500. Generated requests found a key id (DELETE /v1/keys/%00), a key's and an org's name, an audit
 * action filter, an inbox source filter and a subscription's description. No name, id or filter of ours means anything
 * with one, so the request is refused as invalid_argument naming the first field holding one.
 */
export function requireStorableText(schema: DescMessage, message: Message): void {
  const field = nulField(reflect(schema, message as never, false), "");
  if (field !== undefined) throw new InvalidField(field, `${field} must not hold a NUL character (U+0000)`);
}

/** requireStorableText on every call's request, once its caller is known (it runs after the services' own interceptors). */
export const refuseUnstorableText: Interceptor = (next) => (req) => {
  if (!req.stream) {
    requireStorableText(req.method.input, req.message);
    return next(req);
  }
  return next({ ...req, message: checked(req.method.input, req.message) });
};

async function* checked(schema: DescMessage, messages: AsyncIterable<Message>): AsyncIterable<Message> {
  for await (const message of messages) {
    requireStorableText(schema, message);
    yield message;
  }
}

function nulField(message: ReflectMessage, prefix: string): string | undefined {
  if (readElsewhere.has(message.desc.typeName)) return undefined;
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const name = `${prefix}${field.name}`;
    if (field.fieldKind === "scalar" && field.scalar === ScalarType.STRING) {
      if (hasNul(message.get(field))) return name;
    } else if (field.fieldKind === "message") {
      const inner = nulField(message.get(field), `${name}.`);
      if (inner !== undefined) return inner;
    } else if (field.fieldKind === "list") {
      let index = 0;
      for (const item of message.get(field)) {
        const inner =
          field.listKind === "message"
            ? nulField(item as ReflectMessage, `${name}[${index}].`)
            : hasNul(item)
              ? `${name}[${index}]`
              : undefined;
        if (inner !== undefined) return inner;
        index++;
      }
    } else if (field.fieldKind === "map") {
      for (const [key, value] of message.get(field)) {
        if (hasNul(key)) return name;
        const inner = field.mapKind === "message" ? nulField(value as ReflectMessage, `${name}.`) : hasNul(value) ? name : undefined;
        if (inner !== undefined) return inner;
      }
    }
  }
  return undefined;
}

function hasNul(value: unknown): boolean {
  return typeof value === "string" && value.includes("\0");
}
