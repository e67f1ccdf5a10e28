// Generated requests against a whole stack: every route the gateway serves (REST from the protos' http rules, Connect,
// gRPC-Web and gRPC, the event stream, the reference's pages) and paths it does not, with any method, headers, body,
// encoding, framing and size, as a client might send them by mistake or on purpose. None may get a 5xx, none may
// crash a process, and afterwards the inboxes hold exactly the events whose publish was answered 2xx.
//
// The requests are fast-check's, drawn from one seed that the test logs: FUZZ_SEED=<seed> draws the same ones again,
// FUZZ_ONLY=<i>,<j> sends only those of them, one at a time, FUZZ_DUMP=<file> writes every fault found there, and
// FUZZ_REQUESTS=<n> sends another number of them.
import { writeFileSync } from "node:fs";
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import { type DescField, type DescMessage, type DescMethod, fromBinary, fromJson, ScalarType, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import fc from "fast-check";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { EventInputSchema } from "../../gen/triggers/v1/event_pb.js";
import { IngestService, PublishEventResponseSchema, PublishEventsResponseSchema } from "../../gen/triggers/v1/ingest_pb.js";
import { loadGatewayConfig } from "../../services/gateway/config.js";
import { internalMethods, publicMethods, publicServices } from "../../services/gateway/public-api.js";
import { isQueryable } from "../../services/gateway/rest-messages.js";
import { buildRestRoutes, matchRoute, type RestRoute } from "../../services/gateway/rest-routes.js";
import { defaultBatchBodyBytes, defaultBodyBytes, maxDataBytes, maxEventsPerBatch } from "../../services/shared/api-limits.js";
import { SERVICE_NAMES } from "../../tools/stack/services.js";
import { apiClient, request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { NoAnswer, type RawResponse, sendRaw, type Transport } from "../helpers/raw-http.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { newKey } from "../helpers/routes.js";
import { type Stack, startStack } from "../helpers/stack.js";

const budget = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const inFlight = 16;
const seed = process.env.FUZZ_SEED === undefined ? (Date.now() ^ (Math.random() * 2 ** 31)) | 0 : Number(process.env.FUZZ_SEED);

// What the gateway serves, as it builds it: a route or method added to the protos is generated without a change here.
const services = publicServices(loadGatewayConfig({}));
const restRoutes = buildRestRoutes(publicMethods(services));
const rpcMethods = [...publicMethods(services), ...internalMethods];
const publishing = new Set<DescMethod>([IngestService.method.publishEvent, IngestService.method.publishEvents]);
const reflectionMethods = [...ServerReflection.methods, ...ServerReflectionAlpha.methods];
const schemas = new Map<string, DescMessage>(rpcMethods.map((method) => [method.input.typeName, method.input]));

let stack: Stack;
let receiver: Receiver;
let world: World;

/** What generated requests may name: the keys and ids of the org under test (A), of another org (B), and the operator's. */
interface World {
  keys: { own: string; spare: string; other: string; revoked: string; admin: string };
  /** Ids of A's events, subscriptions, keys and deliveries; requests may delete, ack or rotate them. */
  own: string[];
  /** Ids of B's, and B's org id. */
  theirs: string[];
  cursors: string[];
  /** Keys in the form auth issues that it never issued. */
  unknownKeys: string[];
  /** The events each org held before the requests began, which a request may have deleted. */
  before: Map<string, string>;
}

test.before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
  const [a, b] = [await stack.createOrg(), await stack.createOrg()];
  const [apiA, apiB] = [apiClient(stack.gatewayUrl, a.key), apiClient(stack.gatewayUrl, b.key)];
  const must = async (reply: Promise<{ status: number; body: any }>, what: string) => {
    const { status, body } = await reply;
    if (status !== 200) throw new Error(`${what} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  };
  const spare = (await must(apiA.post("/v1/keys", { name: "spare", scopes: ["events:write"] }), "a spare key")).api_key;
  const revoked = (await must(apiA.post("/v1/keys", { name: "revoked", scopes: ["events:read"] }), "a key to revoke")).api_key;
  await must(apiA.delete(`/v1/keys/${revoked.id}`), "revoking a key");
  const theirKey = (await must(apiB.post("/v1/keys", { name: "theirs", scopes: ["admin"] }), "B's key")).api_key;
  const subscription = await must(
    apiA.post("/v1/subscriptions", { url: receiver.url, event_types: ["setup.delivered"] }),
    "a subscription",
  );
  const theirSubscription = await must(apiB.post("/v1/subscriptions", { url: receiver.url, event_types: ["nothing"] }), "B's subscription");
  const before = new Map<string, string>();
  const publish = async (api: typeof apiA, org: string, type: string) => {
    const { id } = await must(api.post("/v1/events", { type, source: "setup", data: { setup: true } }), "a setup event");
    before.set(id, org);
    return id as string;
  };
  const events = [await publish(apiA, "A", "setup.delivered")];
  for (const type of ["setup.one", "setup.two", "setup.three", "setup.four"]) events.push(await publish(apiA, "A", type));
  const theirEvent = await publish(apiB, "B", "setup.theirs");
  const delivery = await eventually(
    async () => (await apiA.get(`/v1/events/${events[0]}/deliveries`)).body.deliveries?.[0]?.id,
    "a delivery",
  );
  await eventually(async () => ((await apiA.get("/v1/inbox?limit=1000")).body.events?.length === 5 ? true : undefined), "A's setup events");
  await must(apiA.post(`/v1/events/${events[1]}/ack`, {}), "acking an event");
  const cursor = (await apiA.get("/v1/inbox?status=all&limit=2")).body.next_cursor as string;
  world = {
    keys: { own: a.key, spare: spare.secret, other: b.key, revoked: revoked.secret, admin: stack.adminToken },
    own: [...events, subscription.id, spare.id, revoked.id, delivery],
    theirs: [theirEvent, theirSubscription.id, theirKey.id, b.orgId],
    cursors: [cursor, cursor.slice(0, -2)],
    unknownKeys: [newKey(), newKey(), newKey()],
    before,
  };
});

test.after.always(async () => {
  await stack?.stop();
  await receiver?.close();
});

// ---------------------------------------------------------------------------------------------------------------------
// What a request is: a recipe small enough to print, made into bytes only when it is sent.

interface Spec {
  /** What the generator aimed at, for the report. */
  aim: string;
  via: Transport;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Recipe;
  /** Content-Length: true, absent (chunked), or a lie shorter or longer than the body. */
  length: "true" | "none" | "short" | "long";
}

interface Recipe {
  /**
   * JSON or other text, where `@@huge:N@@` stands for N bytes of a string, `"@@deep:N@@"` for N nested objects and
   * `"@@events:N@@"` for N events: kept short to print, made whole when sent.
   */
  text: string;
  /** Text as written, the JSON made into the named message's binary form, or bytes given in base64. */
  form: "text" | "proto" | "base64";
  schema?: string;
  mutation: ByteMutation;
  /** The 5-byte envelope gRPC, gRPC-Web and Connect streams frame a message in; grpc-gzip compresses the message in it. */
  envelope: "none" | "grpc" | "grpc-gzip";
  /** How the bytes are compressed; the Content-Encoding header says whatever the headers say. */
  compression: "none" | "gzip" | "br" | "deflate" | "gzip-twice";
}

type ByteMutation =
  | { kind: "none" }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "bom" }
  | { kind: "utf16" };

/** A value for a JSON body: generated freely, so typed no closer than JSON.stringify takes it. */
type Json = unknown;

const plain = (text: string, rest: Partial<Recipe> = {}): Recipe => ({
  text,
  form: "text",
  mutation: { kind: "none" },
  envelope: "none",
  compression: "none",
  ...rest,
});
const noBody = plain("");

function materialize(recipe: Recipe): Buffer {
  const text = expand(recipe.text);
  let bytes =
    recipe.form === "base64"
      ? Buffer.from(recipe.text, "base64")
      : recipe.form === "proto"
        ? protoBytes(recipe.schema!, text)
        : Buffer.from(text);
  bytes = mutated(bytes, recipe.mutation);
  if (recipe.envelope === "grpc-gzip") bytes = enveloped(gzipSync(bytes), 1);
  else if (recipe.envelope === "grpc") bytes = enveloped(bytes, 0);
  return compressed(bytes, recipe.compression);
}

function expand(text: string): string {
  return text
    .replace(/@@huge:(\d+)@@/g, (_, n: string) => "x".repeat(Number(n)))
    .replace(/"@@deep:(\d+)@@"/g, (_, n: string) => `${'{"a":'.repeat(Number(n))}1${"}".repeat(Number(n))}`)
    .replace(/"@@events:(\d+)@@"/g, (_, n: string) =>
      Array.from({ length: Number(n) }, (_e, i) => `{"type":"bulk.item","data":{"i":${i}}}`).join(","),
    );
}

// JSON that the message cannot hold is sent as it is, labelled proto: the server reads it as bytes of a message.
function protoBytes(schema: string, text: string): Buffer {
  try {
    return Buffer.from(toBinary(schemas.get(schema)!, fromJson(schemas.get(schema)!, JSON.parse(text))));
  } catch {
    return Buffer.from(text);
  }
}

function mutated(bytes: Buffer, mutation: ByteMutation): Buffer {
  switch (mutation.kind) {
    case "none":
      return bytes;
    case "truncate":
      return bytes.subarray(0, mutation.at % (bytes.length + 1));
    case "insert": {
      const at = mutation.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(mutation.bytes), bytes.subarray(at)]);
    }
    case "bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case "utf16":
      return Buffer.from(bytes.toString(), "utf16le");
  }
}

function enveloped(message: Buffer, flags: number): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function compressed(bytes: Buffer, compression: Recipe["compression"]): Buffer {
  if (compression === "gzip") return gzipSync(bytes);
  if (compression === "gzip-twice") return gzipSync(gzipSync(bytes));
  if (compression === "br") return brotliCompressSync(bytes);
  if (compression === "deflate") return deflateSync(bytes);
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------------------
// Values, by what a field is called and what type it has.

const weighted = <T>(...pairs: Array<[number, fc.Arbitrary<T>]>) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));
/** A value one time in oneIn, else undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, oneIn: number) =>
  weighted<T | undefined>([oneIn - 1, fc.constant(undefined)], [1, arbitrary]);

/** A path segment or query value as a client would encode it; text that cannot be (a lone surrogate) as its UTF-8 bytes. */
function encoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeAll(text);
  }
}

const hugeString = fc
  .constantFrom(
    maxDataBytes - 64,
    maxDataBytes + 1,
    defaultBodyBytes - 200,
    defaultBodyBytes + 1,
    defaultBatchBodyBytes - 300,
    defaultBatchBodyBytes + 1,
  )
  .chain((n) => fc.integer({ min: Math.max(0, n - 64), max: n + 64 }))
  .map((n) => `@@huge:${n}@@`);
const oddText = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "\u202e",
  "😀",
  "%00",
  "\\",
  '"',
  "null",
  "<script>",
  "{{x}}",
);
const text = weighted<string>(
  [6, fc.string({ maxLength: 24 })],
  [2, fc.string({ unit: "binary", maxLength: 24 })],
  [2, oddText],
  [1, fc.string({ minLength: 300, maxLength: 5000 })],
);
const timestamp = weighted<string>(
  [4, fc.date({ min: new Date("1990-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString())],
  [1, fc.constantFrom("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "yesterday", "", "1700000000", "2026-12-05")],
);
const eventType = fc.constantFrom("order.created", "order.paid", "user.created", "invoice.finalized", "a", "x-y_z:1.2", "setup.delivered");
const eventTypeOrJunk = weighted<string>([8, eventType], [1, fc.constantFrom("", "order created", ".x", "a".repeat(129), "ü")], [1, text]);
const typePattern = fc.constantFrom("order.*", "*", "nothing.matches", "order.created", "**", "", ".*", "a.*.b");
const uuid = fc.uuid({ version: [4, 7] });

function idValue(): fc.Arbitrary<string> {
  return weighted<string>(
    [6, fc.constantFrom(...world.own)],
    [2, fc.constantFrom(...world.theirs)],
    [1, uuid],
    [1, uuid.map((id) => id.toUpperCase())],
    [1, fc.constantFrom("0", "-1", "null", "00000000-0000-0000-0000-000000000000", "%", "..", "a".repeat(5000))],
    [1, text],
  );
}

/** A string for a field, by its name: ids, types, URLs and the like as the API knows them, else any text. */
function stringFor(name: string): fc.Arbitrary<string> {
  const some = (arbitrary: fc.Arbitrary<string>) => weighted<string>([8, arbitrary], [2, text]);
  if (name === "id" || name.endsWith("_id") || name.endsWith("_ids")) return idValue();
  if (name === "cursor") return some(fc.constantFrom(...world.cursors, "eyJ9", "!!!"));
  if (name === "type" || name === "event_type") return eventTypeOrJunk;
  if (name === "event_types") return typePattern;
  if (name === "url")
    return some(
      fc.constantFrom(receiver.url, "http://127.0.0.1:1/hook", "https://example.invalid/x", "ftp://x", "http://169.254.169.254/"),
    );
  if (name === "status") return some(fc.constantFrom("pending", "acked", "delivered", "failed", "all"));
  if (name === "order") return some(fc.constantFrom("asc", "desc"));
  if (name === "plan") return some(fc.constantFrom("free", "pro", "business", "custom"));
  if (name === "action") return some(fc.constantFrom("key.revoked", "org.created", "event.deleted"));
  if (name === "scopes") return some(fc.constantFrom("events:write", "events:read", "admin"));
  if (name === "allowed_cidrs") return some(fc.constantFrom("127.0.0.0/8", "10.0.0.0/8", "::1/128", "0.0.0.0/0", "300.1.1.1/8"));
  if (name === "key") return some(fc.constantFrom(world.keys.own, world.keys.revoked));
  if (name === "idempotency_key") return idempotencyKey;
  if (name === "since" || name === "until" || name.endsWith("_at")) return timestamp;
  return text;
}

const idempotencyKey = weighted<string>(
  [6, fc.nat(39).map((i) => `fuzz-key-${i}`)],
  [1, fc.constantFrom("", " ", "k".repeat(255), "k".repeat(256), "ключ", "a\u0000b")],
);

const wellKnown: Record<string, () => fc.Arbitrary<Json>> = {
  "google.protobuf.Timestamp": () => timestamp,
  "google.protobuf.Struct": () => dataObject,
  "google.protobuf.Value": () => fc.jsonValue({ maxDepth: 3 }),
  "google.protobuf.FieldMask": () => fc.constantFrom("url", "event_types", "url,description,event_types", "nope", "", "URL"),
  "google.protobuf.Duration": () => fc.constantFrom("1s", "-5s", "3600s", "garbage", "1.5s"),
};

const dataObject: fc.Arbitrary<Json> = weighted<Json>(
  [6, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })],
  [1, fc.constant({})],
  [1, hugeString.map((huge) => ({ blob: huge }))],
  [1, fc.constantFrom(31, 32, 33, 100, 5000).map((n) => ({ deep: `@@deep:${n}@@` }))],
  [1, fc.constantFrom<Json>([], "text", 1, null, true)],
);

const int32 = weighted<Json>(
  [6, fc.integer({ min: -5, max: 1200 })],
  [1, fc.constantFrom<Json>(0, -1, 2147483647, 2147483648, 4294967296, 1.5, "12", "x", 1e300)],
);
const int64 = weighted<Json>([4, int32], [1, fc.constantFrom<Json>("9223372036854775807", "9223372036854775808", "-1", "1e3")]);

function scalarJson(scalar: ScalarType, name: string): fc.Arbitrary<Json> {
  switch (scalar) {
    case ScalarType.STRING:
      return stringFor(name);
    case ScalarType.BOOL:
      return weighted<Json>([6, fc.boolean()], [1, fc.constantFrom<Json>("true", 1, null)]);
    case ScalarType.BYTES: // base64 in JSON
      return weighted<Json>(
        [4, dataObject.map((data) => Buffer.from(JSON.stringify(data)).toString("base64"))],
        [1, fc.constantFrom("!!", "", "e30=", "AAAA")],
      );
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom<Json>("NaN", "Infinity"));
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return int64;
    default:
      return int32;
  }
}

function valueJson(field: DescField, depth: number): fc.Arbitrary<Json> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarJson(field.scalar, field.name);
    case "enum":
      return weighted<Json>(
        [6, fc.constantFrom(...field.enum.values.map((value) => value.name))],
        [1, fc.constantFrom<Json>(0, 1, 99, "NOPE")],
      );
    case "message":
      return messageJson(field.message, depth + 1);
    case "list": {
      const element =
        field.listKind === "message"
          ? messageJson(field.message, depth + 1)
          : field.listKind === "enum"
            ? fc.constantFrom<Json>(...field.enum.values.map((value) => value.name))
            : scalarJson(field.scalar, field.name);
      return fc.array(element, { maxLength: field.listKind === "message" ? 4 : 3 });
    }
    case "map":
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
  }
}

/** Proto JSON for a message: any of its fields, each with a value its name and type suggest, by proto or JSON name. */
function messageJson(desc: DescMessage, depth = 0): fc.Arbitrary<Json> {
  const known = wellKnown[desc.typeName];
  if (known) return known();
  if (depth > 3) return fc.constant({});
  const fields = desc.fields.map((field) =>
    fc.option(
      fc.tuple(fc.constantFrom(field.name, field.jsonName), valueJson(field, depth)).map(([name, value]) => [name, value] as const),
      { freq: 2, nil: undefined },
    ),
  );
  return fc.tuple(...fields).map((pairs) => Object.fromEntries(pairs.filter((pair) => pair !== undefined)));
}

/** Near misses of a JSON value: one field's type swapped, a field added or dropped, the whole replaced, nested deep. */
const jsonMutation = weighted<(json: Json) => Json>(
  [8, fc.constant((json: Json) => json)],
  [
    2,
    fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([pick, value]) => (json: Json) => {
      if (!isObject(json) || Object.keys(json).length === 0) return json;
      const keys = Object.keys(json);
      return { ...json, [keys[pick % keys.length]!]: value };
    }),
  ],
  [
    1,
    fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(
      ([key, value]) =>
        (json: Json) =>
          isObject(json) ? { ...json, [key]: value } : json,
    ),
  ],
  [
    1,
    fc.nat().map((pick) => (json: Json) => {
      if (!isObject(json) || Object.keys(json).length === 0) return json;
      const keys = Object.keys(json);
      const { [keys[pick % keys.length]!]: _dropped, ...rest } = json;
      return rest;
    }),
  ],
  [1, fc.constantFrom<Json>(null, [], "text", 7, true).map((value) => () => value)],
  [
    1,
    fc.tuple(fc.nat(), fc.constantFrom(33, 1000, 20000)).map(
      ([pick, n]) =>
        (json: Json) =>
          replaceOne(json, pick, `@@deep:${n}@@`),
    ),
  ],
  [
    1,
    fc.tuple(fc.nat(), hugeString).map(
      ([pick, huge]) =>
        (json: Json) =>
          replaceOne(json, pick, huge),
    ),
  ],
);

function replaceOne(json: Json, pick: number, value: Json): Json {
  if (!isObject(json)) return json;
  const keys = Object.keys(json);
  if (keys.length === 0) return { data: value };
  return { ...json, [keys[pick % keys.length]!]: value };
}

function isObject(json: Json): json is Record<string, Json> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

const byteMutation = weighted<ByteMutation>(
  [14, fc.constant({ kind: "none" as const })],
  [1, fc.nat().map((at) => ({ kind: "truncate" as const, at }))],
  [
    1,
    fc
      .tuple(fc.nat(), fc.constantFrom([0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x00], [0xf4, 0x90, 0x80, 0x80]))
      .map(([at, bytes]) => ({ kind: "insert" as const, at, bytes: [...bytes] })),
  ],
  [1, fc.constant({ kind: "bom" as const })],
  [1, fc.constant({ kind: "utf16" as const })],
);

/** A body as JSON text, its near misses, and now and then something else entirely. */
function jsonBody(json: fc.Arbitrary<Json>, rest: Partial<Recipe> = {}): fc.Arbitrary<Recipe> {
  return weighted<Recipe>(
    [
      12,
      fc
        .tuple(json, jsonMutation, byteMutation)
        .map(([value, mutate, mutation]) => plain(JSON.stringify(mutate(value)), { mutation, ...rest })),
    ],
    [
      1,
      fc.constantFrom("", " ", "{", "[]", "null", '{"a":1}{"b":2}', '{"a":1,"a":2}', "1e400", '"\\ud800"').map((body) => plain(body, rest)),
    ],
    [1, fc.uint8Array({ maxLength: 200 }).map((bytes) => plain(Buffer.from(bytes).toString("base64"), { ...rest, form: "base64" }))],
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Events to publish, valid most of the time: the inbox must end up holding exactly those accepted.

/** The same key always comes with the same event, so that a repeat is a duplicate; a few differ, and are refused. */
const keyedEvent = fc.nat(39).map((i) => ({ type: "order.created", source: "fuzz", data: { n: i }, idempotency_key: `fuzz-key-${i}` }));
const freshEvent = fc.record(
  { type: eventType, source: fc.string({ maxLength: 20 }), data: dataObject, occurred_at: timestamp, idempotency_key: idempotencyKey },
  { requiredKeys: ["type"] },
);
const event = weighted<Json>([3, freshEvent], [1, keyedEvent], [1, messageJson(EventInputSchema)]);
const someEvents = weighted<Json[]>(
  [6, fc.array(event, { maxLength: 8 })],
  [1, fc.constantFrom(maxEventsPerBatch, maxEventsPerBatch + 1).map((n) => [`@@events:${n}@@`])],
);
/** A CloudEvent: its id and source repeat with the same data, so that a repeat is a duplicate. */
const cloudEvent = fc.tuple(fc.nat(19), eventType, fc.option(timestamp, { nil: undefined }), fc.boolean()).map(([i, type, time, same]) => ({
  specversion: "1.0",
  id: `ce-${i}`,
  source: "/fuzz",
  type,
  data: same ? { n: i } : { n: i, other: true },
  time,
}));

// ---------------------------------------------------------------------------------------------------------------------
// Headers.

const keyOf = () =>
  weighted<Array<[string, string]>>(
    [12, fc.constant([["authorization", `Bearer ${world.keys.own}`]])],
    [2, fc.constant([["x-api-key", world.keys.own]])],
    [
      1,
      fc.constantFrom<Array<[string, string]>>(
        [["authorization", `bearer   ${world.keys.own}`]],
        [["authorization", `Bearer ${world.keys.own} x`]],
      ),
    ],
    [2, fc.constant([["authorization", `Bearer ${world.keys.spare}`]])],
    [2, fc.constant([["authorization", `Bearer ${world.keys.other}`]])],
    [1, fc.constant([["authorization", `Bearer ${world.keys.revoked}`]])],
    [1, fc.constant([["authorization", `Bearer ${world.keys.admin}`]])],
    [1, fc.constantFrom(...world.unknownKeys).map((key) => [["authorization", `Bearer ${key}`]] as Array<[string, string]>)],
    [1, fc.string({ maxLength: 60 }).map((garbage) => [["authorization", garbage]])],
    [
      1,
      fc.constantFrom<Array<[string, string]>>(
        [["authorization", "Basic dXNlcjpwYXNz"]],
        [["authorization", `Bearer ${world.keys.own.replace("tk_test_", "tk_live_")}`]],
      ),
    ],
    [2, fc.constant([])],
  );

const contentEncoding = weighted<string>(
  [20, fc.constant("")],
  [1, fc.constantFrom("gzip", "br", "deflate", "identity", "GZIP", "gzip, identity", "compress", "x-garbage", "gzip, gzip", "zstd", "*")],
);

function extraHeaders(): fc.Arbitrary<Array<[string, string]>> {
  const optional = (name: string, value: fc.Arbitrary<string>, oneIn = 8) =>
    sometimes(
      value.map((v) => [name, v] as [string, string]),
      oneIn,
    );
  return fc
    .tuple(
      optional(
        "x-forwarded-for",
        weighted<string>([3, fc.ipV4()], [1, fc.ipV6()], [1, fc.constantFrom("unknown", "1.2.3.4, 10.0.0.1", "", "::1")]),
      ),
      optional("x-request-id", fc.constantFrom("req-1", "bad id with spaces", "x".repeat(129))),
      optional("origin", fc.constantFrom("http://localhost:3000", "https://evil.example", "null")),
      optional("access-control-request-method", fc.constantFrom("POST", "GET", "DELETE")),
      optional("accept-encoding", fc.constantFrom("gzip", "br", "gzip, br", "*", "identity;q=0", "garbage")),
      optional("accept", fc.constantFrom("application/json", "text/html", "*/*", "application/xml")),
      optional("expect", fc.constant("100-continue"), 20),
      optional("ce-specversion", fc.constantFrom("1.0", "0.3", ""), 30),
      optional(
        "x-pad",
        fc.constantFrom(1000, 17_000).map((n) => "p".repeat(n)),
        30,
      ),
    )
    .map((pairs) => pairs.filter((pair) => pair !== undefined));
}

const restContentType = weighted<string | undefined>(
  [16, fc.constant("application/json")],
  [2, fc.constant(undefined)],
  [
    2,
    fc.constantFrom(
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/json; charset=utf-16",
      "application/cloudevents+json",
      "application/cloudevents-batch+json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/proto",
      "",
      ";",
      "application/vnd.api+json",
    ),
  ],
);

// ---------------------------------------------------------------------------------------------------------------------
// Requests.

const verbs = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"];
const oddVerbs = ["get", "pOsT", "PROPFIND", "CONNECT", "FOO", "M-SEARCH", "GET\tX"];

function verbFor(verb: string): fc.Arbitrary<{ method: string; odd: boolean }> {
  return weighted<{ method: string; odd: boolean }>(
    [14, fc.constant({ method: verb, odd: false })],
    [4, fc.constantFrom(...verbs).map((method) => ({ method, odd: false }))],
    [1, fc.constantFrom(...oddVerbs).map((method) => ({ method, odd: true }))],
  );
}

const junkSegment = fc.constantFrom(
  "%",
  "%zz",
  "%00",
  "%2F",
  "%2e%2e",
  "..",
  ".",
  "%ff%fe",
  "%c0%af",
  "%E2%82%AC",
  "%ED%A0%80",
  "a b",
  "é",
  "",
);

function pathFor(route: RestRoute): fc.Arbitrary<string> {
  const segments = route.segments.map((segment) =>
    "literal" in segment
      ? weighted<string>(
          [30, fc.constant(segment.literal)],
          [1, fc.constant(segment.literal.toUpperCase())],
          [1, fc.constant(encodeAll(segment.literal))],
        )
      : weighted<string>([10, stringFor(segment.field.name).map(encoded)], [1, junkSegment]),
  );
  return fc
    .tuple(...segments, fc.constantFrom("", "", "", "", "", "", "/", "//", "/x"))
    .map((parts) => `/${parts.slice(0, -1).join("/")}${parts.at(-1)}`);
}

function encodeAll(text: string): string {
  return [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
}

/** The query a route reads (the request fields neither path nor body sets), now and then with strangers and repeats. */
function queryFor(route: RestRoute): fc.Arbitrary<string> {
  const inPath = new Set(route.segments.flatMap((segment) => ("field" in segment ? [segment.field] : [])));
  const fields =
    route.body === "*" ? [] : route.method.input.fields.filter((field) => !inPath.has(field) && field !== route.body && isQueryable(field));
  const params = fields.map((field) =>
    fc.option(
      (field.name === "wait" ? fc.constantFrom<Json>("0", "1", "31", "-1", "x") : valueJson(field, 3)).map((value) =>
        (Array.isArray(value) ? value : [value]).map((each) => `${field.name}=${encoded(String(each))}`).join("&"),
      ),
      { freq: 2, nil: undefined },
    ),
  );
  const stranger = sometimes(
    fc.constantFrom("unknown=1", "limit=1&limit=2", "%zz=1", "a=%", "=x", "x", "status=pending%00", "cursor="),
    10,
  );
  return fc.tuple(...params, stranger).map((parts) => {
    const query = parts.filter((part) => part !== undefined && part !== "").join("&");
    return query ? `?${query}` : "";
  });
}

interface Draft {
  aim: string;
  method: string;
  odd?: boolean;
  target: string;
  headers: Array<[string, string]>;
  body: Recipe;
  /** The content type the draft's body goes with; the common headers may change it. */
  contentType?: string;
  /** Native gRPC, which travels over HTTP/2 alone. */
  grpc?: boolean;
}

function restDraft(): fc.Arbitrary<Draft> {
  return fc.constantFrom(...restRoutes).chain((route) => {
    const body = route.body
      ? jsonBody(route.body === "*" ? messageJson(route.method.input) : valueJson(route.body, 0))
      : weighted<Recipe>([8, fc.constant(noBody)], [1, jsonBody(fc.jsonValue({ maxDepth: 2 }))]);
    return fc.record({ verb: verbFor(route.verb), path: pathFor(route), query: queryFor(route), body, contentType: restContentType }).map(
      ({ verb, path, query, body, contentType }): Draft => ({
        aim: `rest ${route.verb} ${route.template}`,
        method: verb.method,
        odd: verb.odd,
        target: `${path}${query}`,
        headers: [],
        body,
        contentType: body === noBody ? undefined : contentType,
      }),
    );
  });
}

/** POST /v1/events and /v1/events/batch as integrations send them: our JSON, the three CloudEvents modes, keys. */
function publishDraft(): fc.Arbitrary<Draft> {
  const single = fc.tuple(event, sometimes(idempotencyKey, 4), fc.boolean()).chain(([value, headerKey, alias]) => {
    const json =
      isObject(value) && alias && value.idempotency_key !== undefined ? { ...withoutKey(value), dedup_id: value.idempotency_key } : value;
    return jsonBody(fc.constant(json)).map(
      (body): Draft => ({
        aim: "publish /v1/events",
        method: "POST",
        target: "/v1/events",
        headers: headerKey === undefined ? [] : [["idempotency-key", headerKey]],
        body,
        contentType: "application/json",
      }),
    );
  });
  const batch = jsonBody(someEvents.map((events) => ({ events }))).map(
    (body): Draft => ({
      aim: "publish /v1/events/batch",
      method: "POST",
      target: "/v1/events/batch",
      headers: [],
      body,
      contentType: "application/json",
    }),
  );
  const structured = jsonBody(cloudEvent).map(
    (body): Draft => ({
      aim: "publish a structured CloudEvent",
      method: "POST",
      target: "/v1/events",
      headers: [],
      body,
      contentType: "application/cloudevents+json",
    }),
  );
  const binary = fc.tuple(cloudEvent, fc.constantFrom("1.0", "1.0", "1.0", "0.3", "")).chain(([ce, version]) =>
    jsonBody(fc.constant(ce.data)).map(
      (body): Draft => ({
        aim: "publish a binary CloudEvent",
        method: "POST",
        target: "/v1/events",
        headers: [
          ["ce-specversion", version],
          ["ce-id", ce.id],
          ["ce-source", ce.source],
          ["ce-type", ce.type],
          ...(ce.time === undefined ? [] : ([["ce-time", ce.time]] as Array<[string, string]>)),
        ],
        body,
        contentType: "application/json",
      }),
    ),
  );
  const batched = jsonBody(fc.array(cloudEvent, { maxLength: 5 })).map(
    (body): Draft => ({
      aim: "publish a CloudEvents batch",
      method: "POST",
      target: "/v1/events/batch",
      headers: [],
      body,
      contentType: "application/cloudevents-batch+json",
    }),
  );
  // A few KiB that inflate past any body limit, announced as gzip.
  const bomb = fc.constant<Draft>({
    aim: "publish a gzip bomb",
    method: "POST",
    target: "/v1/events",
    headers: [["content-encoding", "gzip"]],
    body: plain(`{"type":"bomb","data":{"x":"@@huge:${defaultBatchBodyBytes * 3}@@"}}`, { compression: "gzip" }),
    contentType: "application/json",
  });
  return weighted<Draft>([12, single], [6, batch], [2, structured], [2, binary], [2, batched], [1, bomb]);
}

function withoutKey(value: Record<string, Json>): Record<string, Json> {
  const { idempotency_key: _key, ...rest } = value;
  return rest;
}

const rpcTypes = {
  json: "application/json",
  proto: "application/proto",
  connectStream: "application/connect+json",
  grpcWeb: "application/grpc-web+proto",
  grpcWebJson: "application/grpc-web+json",
  grpc: "application/grpc",
} as const;

/** The RPCs, public and internal, by Connect (unary or streaming), gRPC-Web and gRPC, their bodies generated from their messages. */
function rpcDraft(): fc.Arbitrary<Draft> {
  return fc
    .tuple(
      // Publishing twice as often as its share: the inboxes' account needs RPC publishes too.
      weighted<DescMethod>([3, fc.constantFrom(...rpcMethods)], [2, fc.constantFrom(...publishing)]),
      weighted<keyof typeof rpcTypes>(
        [6, fc.constant("json")],
        [3, fc.constant("proto")],
        [2, fc.constant("grpcWeb")],
        [1, fc.constantFrom("connectStream", "grpcWebJson", "grpc")],
      ),
      weighted<string>([20, fc.constant("")], [1, fc.constantFrom("/", "?x=1", "Nope", "/extra")]),
      weighted<string>([20, fc.constant("POST")], [1, fc.constantFrom("GET", "PUT", "OPTIONS")]),
      weighted<Array<[string, string]>>(
        [6, fc.constant([])],
        [1, fc.constantFrom<Array<[string, string]>>([["connect-protocol-version", "1"]], [["connect-protocol-version", "2"]])],
        [
          1,
          fc
            .constantFrom("0", "1", "50", "100000", "-5", "abc", "99999999999999999")
            .map((ms) => [["connect-timeout-ms", ms]] as Array<[string, string]>),
        ],
        [
          1,
          fc
            .constantFrom("1m", "1n", "garbage", "99999999H", "5S")
            .map((timeout) => [["grpc-timeout", timeout]] as Array<[string, string]>),
        ],
      ),
    )
    .chain(([method, type, suffix, verb, protocolHeaders]) => {
      const json = messageJson(method.input);
      const form: Partial<Recipe> =
        type === "json" || type === "connectStream" || type === "grpcWebJson" ? {} : { form: "proto", schema: method.input.typeName };
      const framed = type !== "json" && type !== "proto";
      return fc
        .tuple(
          jsonBody(json, form),
          framed ? fc.constantFrom<Recipe["envelope"]>("grpc", "grpc", "grpc", "grpc-gzip", "none") : fc.constant("none" as const),
        )
        .map(([body, envelope]) => ({
          aim: `${type} ${method.parent.name}/${method.name}`,
          method: verb,
          target: `/${method.parent.typeName}/${method.name}${suffix}`,
          headers: [
            ...protocolHeaders,
            ...(envelope === "grpc-gzip"
              ? ([[type === "connectStream" ? "connect-content-encoding" : "grpc-encoding", "gzip"]] as Array<[string, string]>)
              : []),
            ...(type === "grpc" ? ([["te", "trailers"]] as Array<[string, string]>) : []),
          ],
          body: { ...body, envelope: body.form === "base64" ? "none" : envelope },
          contentType: rpcTypes[type],
          grpc: type === "grpc",
        }));
    });
}

/** The pages, the event stream and paths nothing serves. */
function otherDraft(): fc.Arbitrary<Draft> {
  const page = fc
    .tuple(
      fc.constantFrom("/docs", "/openapi.json", "/docs/api-reference.js", "/docs?x=1", "/docs/"),
      fc.constantFrom("GET", "GET", "HEAD", "POST"),
    )
    .map(([target, method]): Draft => ({ aim: "docs", method, target, headers: [], body: noBody }));
  const stream = fc
    .tuple(
      fc.constantFrom("", "?until_caught_up=true", "?type=order.*", "?status=all", "?cursor=%zz", "?since=yesterday", "?type=a&type=b"),
      fc.option(fc.constantFrom(...world.cursors, "garbage", ""), { nil: undefined }),
    )
    .map(
      ([query, last]): Draft => ({
        aim: "sse /v1/events/stream",
        method: "GET",
        target: `/v1/events/stream${query}`,
        headers: last === undefined ? [["accept", "text/event-stream"]] : [["last-event-id", last]],
        body: noBody,
      }),
    );
  const unknown = fc
    .tuple(
      fc.constantFrom(
        "/",
        "/v2/events",
        "/v1",
        "/v1/",
        "//v1/events",
        "/v1/events/../inbox",
        "/metrics",
        "/healthz",
        "/triggers.v1.Nope/Nope",
        "/triggers.v1.IngestService/",
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/favicon.ico",
        `/${"a".repeat(20_000)}`,
        "/%",
        "/v1/inbox#frag",
        "/v1/inbox?%",
      ),
      fc.constantFrom(...verbs),
    )
    .map(([target, method]): Draft => ({ aim: "unknown path", method, target, headers: [], body: noBody }));
  const raw = fc.constantFrom("*", "http://gateway/v1/inbox", "v1/inbox", "/v1/inbox HTTP/1.1\r\nX-Smuggled: 1", "/v1/inbox\u0000").map(
    (target): Draft => ({
      aim: "odd request target",
      method: target === "*" ? "OPTIONS" : "GET",
      odd: true,
      target,
      headers: [],
      body: noBody,
    }),
  );
  return weighted<Draft>([3, page], [4, stream], [3, unknown], [1, raw]);
}

/** A draft dressed as it is sent: credentials, content type and encoding, other headers, how it travels and its length. */
function requestSpec(): fc.Arbitrary<Spec> {
  const draft = weighted<Draft>([9, restDraft()], [7, publishDraft()], [6, rpcDraft()], [2, otherDraft()]);
  return fc
    .tuple(
      draft,
      keyOf(),
      extraHeaders(),
      contentEncoding,
      fc.boolean(),
      weighted<Spec["length"]>([80, fc.constant("true")], [12, fc.constant("none")], [4, fc.constant("short")], [1, fc.constant("long")]),
      weighted<Transport>([16, fc.constant("http1")], [2, fc.constant("http2")], [2, fc.constant("socket")]),
      sometimes(fc.constantFrom("application/json", "text/plain", "application/proto", ""), 20),
    )
    .map(([draft, key, extra, encoding, compressTruly, length, via, otherType]): Spec => {
      const contentType = otherType ?? draft.contentType;
      const headers: Array<[string, string]> = [
        ...(contentType === undefined ? [] : ([["content-type", contentType]] as Array<[string, string]>)),
        ...key,
        ...draft.headers,
        ...extra,
      ];
      let body = draft.body;
      if (encoding) {
        headers.push(["content-encoding", encoding]);
        const known = ["gzip", "br", "deflate"].includes(encoding.toLowerCase())
          ? (encoding.toLowerCase() as Recipe["compression"])
          : undefined;
        if (compressTruly && body.text !== "")
          body = { ...body, compression: known ?? (encoding === "gzip, gzip" ? "gzip-twice" : "gzip") };
      }
      // What node:http and HTTP/2 refuse to send (a space in a path, a control character in a header) goes over a socket.
      const odd =
        draft.odd ||
        /[^\x21-\x7e]/.test(draft.target) ||
        headers.some(([name, value]) => /[^\t\x20-\x7e\x80-\xff]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name));
      const transport: Transport = odd ? "socket" : draft.grpc ? "http2" : via;
      if (transport === "socket") headers.unshift(["host", "gateway"]);
      return {
        aim: draft.aim,
        via: transport,
        method: draft.method,
        target: draft.target,
        headers,
        body,
        length: transport === "http2" ? "true" : length,
      };
    });
}

// ---------------------------------------------------------------------------------------------------------------------
// Answers.

interface Outcome {
  index: number;
  spec: Spec;
  status: number | "no answer";
  /** The RPC's own code, for gRPC, gRPC-Web and Connect streams, whose HTTP status is 200 whatever happens. */
  rpcCode?: string;
  /** A 2xx answer to a publish whose ids could not be read. */
  unreadableAnswer?: boolean;
  /** A gRPC or gRPC-Web request whose message cannot be read (see isFault). */
  unreadable?: boolean;
  why?: string;
  /** Ids of the events a publish answered 2xx as accepted. */
  published: string[];
}

// gRPC's codes by number, as Connect names them; those a server fault ends in count as a 5xx would.
const grpcCodes = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];
const serverFaults = new Set(["unknown", "internal", "unavailable", "data_loss"]);

/**
 * Whether an answer is a server's failure. A few 5xx and unanswered requests are what the protocols prescribe for the
 * client's own request, and are not: a deadline the client set itself passing (Connect's deadline_exceeded is 504),
 * a bidirectional stream asked for over HTTP/1.1 (505: it needs HTTP/2), a CONNECT (HTTP closes the connection of a
 * proxy request to a server that is no proxy), and INTERNAL over gRPC and gRPC-Web for a message that cannot be read,
 * which grpc-go and grpc-java answer too.
 */
function isFault(outcome: Outcome): boolean {
  const { spec, status, rpcCode } = outcome;
  if (outcome.unreadableAnswer) return true;
  if (status === "no answer") return spec.method !== "CONNECT";
  if (status === 504 && spec.headers.some(([name]) => name === "connect-timeout-ms")) return false;
  if (status === 505) return !(spec.via !== "http2" && rpcMethodAt(spec.target)?.methodKind === "bidi_streaming");
  if (status >= 500) return true;
  if (rpcCode === "internal" && outcome.unreadable) return false;
  return rpcCode !== undefined && serverFaults.has(rpcCode);
}

function rpcMethodAt(target: string): DescMethod | undefined {
  const path = safeUrl(target)?.pathname;
  return [...rpcMethods, ...reflectionMethods].find((method) => path === `/${method.parent.typeName}/${method.name}`);
}

/** Whether the gRPC or gRPC-Web body holds no message the method could read: not framed, or not its message's bytes. */
function unreadableMessage(spec: Spec, body: Buffer): boolean {
  const type = spec.headers.find(([name]) => name === "content-type")?.[1] ?? "";
  const method = rpcMethodAt(spec.target);
  if (!method || !type.startsWith("application/grpc") || type.includes("json")) return false;
  try {
    const [envelope, ...more] = envelopes(body);
    if (!envelope || more.length > 0 || 5 + envelope.data.length !== body.length) return true;
    fromBinary(method.input, envelope.flags & 0x01 ? gunzipSync(envelope.data) : envelope.data);
    return false;
  } catch {
    return true;
  }
}

/** The code a gRPC, gRPC-Web or Connect streaming answer ended with, when it ended before we hung up. */
function rpcCodeOf(res: RawResponse): string | undefined {
  const type = res.headers["content-type"] ?? "";
  const fromGrpc = (status: string | undefined) =>
    status === undefined ? undefined : (grpcCodes[Number(status)] ?? `grpc-status ${status}`);
  if (type.startsWith("application/grpc-web")) {
    const trailer = envelopes(res.body).find(({ flags }) => flags & 0x80);
    const status = trailer && /grpc-status:\s*(\d+)/i.exec(trailer.data.toString())?.[1];
    return fromGrpc(status ?? res.headers["grpc-status"]);
  }
  if (type.startsWith("application/grpc")) return fromGrpc(res.trailers["grpc-status"] ?? res.headers["grpc-status"]);
  if (type.startsWith("application/connect+")) {
    const end = envelopes(res.body).find(({ flags }) => flags & 0x02);
    if (!end) return undefined;
    try {
      return JSON.parse(end.data.toString()).error?.code ?? "ok";
    } catch {
      return "unreadable end of stream";
    }
  }
  return undefined;
}

function envelopes(body: Buffer): Array<{ flags: number; data: Buffer }> {
  const found = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    found.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return found;
}

/** The ids a publish answered 2xx accepted, read as its protocol writes them; throws when a 2xx answer cannot be read. */
function acceptedIds(spec: Spec, res: RawResponse): string[] {
  if (res.status < 200 || res.status > 299) return [];
  const url = safeUrl(spec.target);
  if (!url) return [];
  const rest = matchRoute(restRoutes, spec.method.toUpperCase(), url.pathname);
  // RPCs are called with POST alone; a preflight (OPTIONS) of one is answered 204 and publishes nothing.
  const rpc = spec.method === "POST" ? rpcMethodAt(spec.target) : undefined;
  const method = rest.kind === "found" ? rest.route.method : rpc;
  if (!method || !publishing.has(method)) return [];
  const type = res.headers["content-type"] ?? "";
  let body = res.body;
  const encoding = res.headers["content-encoding"];
  if (encoding === "gzip") body = gunzipSync(body);
  else if (encoding === "br") body = brotliDecompressSync(body);
  else if (encoding === "deflate") body = inflateSync(body);
  const single = method === IngestService.method.publishEvent;
  if (type.startsWith("application/json")) {
    const json = JSON.parse(body.toString());
    return single ? [json.id] : json.results.flatMap((result: any) => (result.accepted ? [result.accepted.id] : []));
  }
  let messages: Buffer[] = [body];
  if (type.startsWith("application/grpc")) {
    const frames = envelopes(body).filter(({ flags }) => !(flags & 0x80));
    const grpcEncoding = res.headers["grpc-encoding"];
    messages = frames.map(({ flags, data }) =>
      flags & 0x01 ? (grpcEncoding === "br" ? brotliDecompressSync(data) : gunzipSync(data)) : data,
    );
    if (type.includes("json")) return messages.flatMap((message) => idsOf(single, JSON.parse(message.toString())));
  } else if (!type.startsWith("application/proto")) {
    throw new Error(`a publish answered ${res.status} with content-type "${type}"`);
  }
  return messages.flatMap((message) =>
    single
      ? [fromBinary(PublishEventResponseSchema, message).id]
      : fromBinary(PublishEventsResponseSchema, message).results.flatMap((result) =>
          result.result.case === "accepted" ? [result.result.value.id] : [],
        ),
  );
}

function idsOf(single: boolean, json: any): string[] {
  return single ? [json.id] : json.results.flatMap((result: any) => (result.accepted ? [result.accepted.id] : []));
}

function safeUrl(target: string): URL | undefined {
  try {
    return new URL(target, "http://gateway");
  } catch {
    return undefined;
  }
}

async function send(index: number, spec: Spec): Promise<Outcome> {
  const body = materialize(spec.body);
  const length = spec.length === "short" ? Math.max(0, body.length - 3) : spec.length === "long" ? body.length + 10 : spec.length;
  // A body longer than it says is never wholly read; one shorter than it says is waited for, up to the server's 60 s.
  const timeoutMs = spec.length === "long" ? 2_000 : 90_000;
  const headers: Array<[string, string]> = [["x-request-id", `fuzz-${seed}-${index}`], ...spec.headers];
  try {
    const res = await sendRaw(stack.gatewayUrl, { ...spec, headers, body, length, glimpseMs: 300, timeoutMs });
    let published: string[] = [];
    try {
      published = acceptedIds(spec, res);
    } catch (err) {
      return {
        index,
        spec,
        status: res.status,
        unreadableAnswer: true,
        why: `its 2xx answer to a publish could not be read: ${(err as Error).message}`,
        published: [],
      };
    }
    const rpcCode = res.glimpsed ? undefined : rpcCodeOf(res);
    return { index, spec, status: res.status, rpcCode, unreadable: unreadableMessage(spec, body), published };
  } catch (err) {
    // A request left incomplete on purpose may go unanswered: the server is still waiting for the rest when we hang up.
    if (err instanceof NoAnswer && spec.length === "long") return { index, spec, status: 0, published: [] };
    return { index, spec, status: "no answer", why: (err as Error).message, published: [] };
  }
}

/** One request as the failure message lists it: enough to see what it was, the seed and index to send it again. */
function describe(outcome: Outcome): string {
  const { spec } = outcome;
  const headers = spec.headers.map(([name, value]) => `${name}: ${shorten(value, 80)}`).join("; ");
  const body = spec.body.text === "" ? "no body" : `${spec.body.form} body ${shorten(spec.body.text, 160)}`;
  const shaping = [
    spec.body.mutation.kind !== "none" && `bytes ${JSON.stringify(spec.body.mutation)}`,
    spec.body.envelope !== "none" && `envelope ${spec.body.envelope}`,
    spec.body.compression !== "none" && `compressed ${spec.body.compression}`,
    spec.length !== "true" && `content-length ${spec.length}`,
  ].filter(Boolean);
  const answer = `${outcome.status}${outcome.rpcCode ? ` (${outcome.rpcCode})` : ""}${outcome.why ? `: ${outcome.why}` : ""}`;
  return `#${outcome.index} [${spec.aim}, x-request-id fuzz-${seed}-${outcome.index}] ${spec.via} ${spec.method} ${shorten(spec.target, 120)} → ${answer}\n    headers: ${headers}\n    ${body}${shaping.length ? `, ${shaping.join(", ")}` : ""}`;
}

function shorten(text: string, max: number): string {
  const shown = JSON.stringify(text).slice(1, -1);
  return shown.length > max ? `${shown.slice(0, max)}… (${text.length} chars)` : shown;
}

/** An event as the failure message shows it: enough to find the request that published it. */
async function eventAt(id: string): Promise<string> {
  for (const key of [world.keys.own, world.keys.other]) {
    const { status, body } = await patiently(`/v1/events/${id}`, key);
    if (status === 200) return `${id} ${shorten(JSON.stringify(body.event ?? body), 300)}`;
  }
  return id;
}

interface Stored {
  id: string;
  type: string;
  source: string;
}

/** The events of both orgs' inboxes once every accepted one is there, or as they are after a minute. */
async function bothInboxes(accepted: Set<string>): Promise<Map<string, Stored>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const events = new Map([...(await allEvents(world.keys.own)), ...(await allEvents(world.keys.other))].map((each) => [each.id, each]));
    if ([...accepted].every((id) => events.has(id)) || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * A read with a key, waiting out a 429: the requests' wrong keys used up this address's allowance of failed
 * authentications, and a good key whose verdict has left the gateway's cache is checked as any new key is.
 */
async function patiently(path: string, key: string) {
  for (let attempt = 0; ; attempt++) {
    const reply = await request(stack.gatewayUrl, path, { key });
    if (reply.status !== 429 || attempt === 60) return reply;
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(reply.headers.get("retry-after") ?? 1)));
  }
}

/** Every event an org's inbox holds, acked or not, following cursors to the end. */
async function allEvents(key: string): Promise<Stored[]> {
  const events: Stored[] = [];
  let cursor = "";
  do {
    const page = await patiently(`/v1/inbox?status=all&limit=1000${cursor ? `&cursor=${cursor}` : ""}`, key);
    if (page.status !== 200) throw new Error(`GET /v1/inbox answered ${page.status}: ${JSON.stringify(page.body)}`);
    events.push(...page.body.events.map(({ id, type, source }: Stored) => ({ id, type, source })));
    cursor = page.body.has_more ? page.body.next_cursor : "";
  } while (cursor);
  return events;
}

/**
 * The events delivery writes itself when an org's deliveries need attention (README, "operational events"): the
 * generated subscriptions to a closed port fail until they are paused, and the org is told so in its inbox.
 */
function isOperational(event: Stored): boolean {
  return event.source === "triggers" && event.type.startsWith("triggers.");
}

test("generated requests - 10,000 of any method, path, headers, encoding and body to every route get no 5xx and crash nothing, and the inboxes then hold exactly the events answered 2xx", async (t) => {
  t.timeout(20 * 60_000);
  t.log(`seed ${seed}: FUZZ_SEED=${seed} sends these ${budget} requests again`);
  const sampled = fc.sample(requestSpec(), { seed, numRuns: budget });
  // FUZZ_ONLY=12,57 sends only those of the seed's requests, one at a time, to look at one alone.
  const only = process.env.FUZZ_ONLY?.split(",").map(Number);
  const specs = only ? only.map((index) => sampled[index]!) : sampled;
  const started = Date.now();
  const lifecycleBefore = stack.lifecycle().length;
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: only ? 1 : inFlight }, async () => {
      while (next < specs.length) {
        const at = next++;
        outcomes[at] = await send(only?.[at] ?? at, specs[at]!);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  // Requests sent again one at a time are each described, whatever their answer.
  if (only) for (const outcome of outcomes) t.log(describe(outcome));
  const byStatus = new Map<string, number>();
  for (const { status, rpcCode } of outcomes) {
    const label = `${status}${rpcCode ? `/${rpcCode}` : ""}`;
    byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
  }
  const published = new Set(outcomes.flatMap((outcome) => outcome.published));
  t.log(`${outcomes.length} requests in ${seconds.toFixed(0)} s; ${published.size} events accepted`);
  t.log(
    [...byStatus]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, count]) => `${label}: ${count}`)
      .join(", "),
  );

  const faults = outcomes.filter(isFault);
  if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, faults.map(describe).join("\n"));
  t.deepEqual(
    faults.slice(0, 8).map(describe),
    [],
    `${faults.length} requests were answered with a 5xx, a server fault or nothing (seed ${seed}; FUZZ_SEED=${seed} sends them again)`,
  );

  const lifecycle = stack
    .lifecycle()
    .slice(lifecycleBefore)
    .filter((event) => event.type === "exited");
  t.deepEqual(lifecycle, [], "no service exited");
  for (const name of SERVICE_NAMES) {
    const health = await fetch(`${stack.adminUrls[name]}/healthz`).catch(() => undefined);
    t.is(health?.status, 200, `${name} is still healthy`);
  }

  // Every accepted event reaches its inbox a moment after its answer; then nothing more may be there.
  const stored = await bothInboxes(published);
  const notices = [...stored.values()].filter((event) => !published.has(event.id) && isOperational(event));
  const unexpected = [...stored.values()].filter(
    (event) => !published.has(event.id) && !world.before.has(event.id) && !isOperational(event),
  );
  const publishedBy = new Map(outcomes.flatMap((outcome) => outcome.published.map((id) => [id, outcome] as const)));
  const missing = [...published].filter((id) => !stored.has(id)).map((id) => `${id}, accepted by ${describe(publishedBy.get(id)!)}`);
  t.log(
    `the inboxes hold ${stored.size} events, ${notices.length} of them delivery's own: ${unexpected.length} never accepted, ${missing.length} accepted and missing`,
  );
  t.deepEqual(
    { unexpected: await Promise.all(unexpected.slice(0, 10).map(({ id }) => eventAt(id))), missing: missing.slice(0, 5) },
    { unexpected: [], missing: [] },
    "the inboxes hold exactly the events answered 2xx",
  );
  // An event there before the requests is gone only when one of them deleted it.
  for (const [id, org] of world.before) {
    if (stored.has(id)) continue;
    const key = org === "A" ? world.keys.own : world.keys.other;
    t.is((await patiently(`/v1/events/${id}`, key)).status, 404, `setup event ${id} is deleted, not lost`);
  }
});
