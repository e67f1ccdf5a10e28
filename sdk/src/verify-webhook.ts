// Checks that a webhook came from Triggers (Standard Webhooks signatures, with Web Crypto) and reads its event.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "../../gen/triggers/v1/event_pb.js";

/** Request headers as a platform gives them: fetch's Headers, or Node's (Express's, Fastify's) plain object. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far webhook-timestamp may be from now, in seconds: 300 (five minutes), as Standard Webhooks says. */
  toleranceSeconds?: number;
  /** The time to check against, for tests. */
  now?: Date;
}

/** The webhook is not one Triggers signed with the secret given, or not a recent one: answer 400 and ignore it. */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
}

const secretPrefix = "whsec_";
const encoder = new TextEncoder();

/**
 * Verifies a webhook over the body exactly as received (before any JSON parsing) and returns its event. During
 * a secret's rotation, deliveries carry a signature under each secret, so either one verifies; give both
 * (`[newSecret, oldSecret]`) while you switch. Throws WebhookVerificationError when no signature matches, a
 * header is missing, or the timestamp is more than five minutes off (a replayed webhook). Dedupe by `event.id`
 * (the `webhook-id`): a webhook may arrive more than once.
 */
export async function verifyWebhook(
  secret: string | string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): Promise<Event> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  checkTimestamp(timestamp, options);
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), bytes);
  const offered = signatures
    .split(" ")
    .filter((each) => each.startsWith("v1,"))
    .map((each) => fromBase64(each.slice(3)))
    .filter((each) => each !== undefined);
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0) throw new TypeError("give at least one signing secret");
  for (const each of secrets) {
    const expected = await hmac(keyOf(each), signed);
    if (offered.some((signature) => equalInConstantTime(signature, expected))) return eventOf(bytes);
  }
  throw new WebhookVerificationError("no signature matches: the body was changed, or it was signed with another secret");
}

function header(headers: WebhookHeaders, name: string): string {
  const value = isHeaders(headers) ? headers.get(name) : lookup(headers, name);
  if (!value) throw new WebhookVerificationError(`the ${name} header is missing`);
  return value;
}

// By shape rather than instanceof: a framework may bring a Headers class of its own.
function isHeaders(headers: WebhookHeaders): headers is Headers {
  return typeof headers.get === "function";
}

// Node lowercases header names; other frameworks and hand-made objects may not.
function lookup(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((each) => each.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function checkTimestamp(timestamp: string, options: VerifyOptions): void {
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not a time in Unix seconds");
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const sent = Number(timestamp);
  if (sent < now - tolerance) throw new WebhookVerificationError("webhook-timestamp is too old: a replayed webhook?");
  if (sent > now + tolerance) throw new WebhookVerificationError("webhook-timestamp is in the future: is this machine's clock right?");
}

function keyOf(secret: string): Uint8Array {
  // Standard Webhooks libraries take the secret with or without its prefix; so does this.
  const key = fromBase64(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret);
  if (!key || key.length === 0) throw new TypeError("a signing secret is whsec_ followed by base64, as the subscription's answer gave it");
  return key;
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await globalThis.crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", cryptoKey, data as BufferSource));
}

/** Compares every byte whatever the first difference, so the time taken tells a forger nothing of where it was. */
function equalInConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

// Fields a later server may add are ignored, so that receivers keep working across upgrades.
function eventOf(body: Uint8Array): Event {
  let event: Event;
  try {
    event = fromJson(EventSchema, JSON.parse(new TextDecoder().decode(body)) as JsonValue, { ignoreUnknownFields: true });
  } catch (err) {
    throw new WebhookVerificationError(`the body is not a Triggers event: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!event.id || !event.type) throw new WebhookVerificationError("the body is not a Triggers event: it has no id or type");
  return event;
}
