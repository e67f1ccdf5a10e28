// Sends one delivery to its webhook URL, signed, and says how it went; never throws.
import http from "node:http";
import https from "node:https";
import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import { apiJson } from "../../shared/json.js";
import { type AddressGuard, ForbiddenAddress } from "./address-guard.js";
import { signatureHeader } from "./signing.js";

export const USER_AGENT = "Triggers/0.1";

// Endpoints owe us a status, not a body: reading a little lets the connection be reused, reading all could exhaust memory.
const maxResponseBytes = 64 * 1024;
// What an attempt keeps of the answer, for the org to see why it failed.
const keptResponseBytes = 1024;

export type AttemptStatus = "succeeded" | "failed";

export interface AttemptOutcome {
  status: AttemptStatus;
  /** 0 when the endpoint did not answer. */
  responseStatus: number;
  /** Why there was no answer; empty when there was one. */
  error: string;
  /** The first KiB of the answer's body. */
  responseBody: string;
  durationMs: number;
  /** How long a 429 or 503 answer asked us to wait (Retry-After); 0 otherwise. */
  retryAfterMs: number;
  /** The receiver asked us to stop retrying this message (webhook-delivery: abort-message). */
  abort: boolean;
}

/** What one attempt sends: the webhook-id is the event's, the same in every attempt and every subscription. */
export interface WebhookRequest {
  url: string;
  webhookId: string;
  body: string;
  /** The subscription's signing secrets: its current one, and during a rotation the one before. */
  secrets: string[];
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// Connections to a subscriber are kept and reused: most send many events to the same few endpoints.
// node:http rather than fetch: fetch's web streams cost several times the CPU of the POST itself.
const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

/** The JSON body a subscriber receives: the event as the inbox serves it, without inbox state; data is JSON text. */
export function webhookBody(event: Event, data: string): string {
  const { id, type, source, occurredAt, receivedAt } = event;
  const body = create(EventSchema, { id, type, source, data: JSON.parse(data) as JsonObject, occurredAt, receivedAt });
  return JSON.stringify(toJson(EventSchema, body, apiJson));
}

export async function postWebhook(request: WebhookRequest, timeoutMs: number, guard: AddressGuard): Promise<AttemptOutcome> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  try {
    const target = new URL(request.url);
    if (!guard.allowsLiteralHost(target)) throw new ForbiddenHost();
    const send = (fresh: boolean) => post(target, request, Math.max(1, timeoutMs - durationMs()), guard, fresh);
    const answer = await send(false).catch((err: unknown) => {
      if (!(err instanceof StaleConnection)) throw err;
      return send(true);
    });
    return { ...outcomeOf(answer), durationMs: durationMs() };
  } catch (err) {
    const error = describe(err);
    return { status: "failed", responseStatus: 0, error, responseBody: "", durationMs: durationMs(), retryAfterMs: 0, abort: false };
  }
}

function outcomeOf({ status, headers, body }: Answer): Omit<AttemptOutcome, "durationMs"> {
  const ok = status >= 200 && status < 300;
  return {
    status: ok ? "succeeded" : "failed",
    responseStatus: status,
    // The status says why an answered attempt failed; error is for attempts that got no answer.
    error: "",
    responseBody: body,
    retryAfterMs: status === 429 || status === 503 ? retryAfterMs(headers["retry-after"]) : 0,
    abort: headers["webhook-delivery"]?.toString().toLowerCase() === "abort-message",
  };
}

/** Retry-After as seconds or as an HTTP date; 0 when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number {
  if (!value) return 0;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

class Timeout extends Error {}

/** The URL's host is an address we may not reach. */
class ForbiddenHost extends Error {}

/**
 * A kept-alive connection the endpoint closed just as we reused it: the request most likely never reached it, and
 * Node's documentation says to send it again. We do, once, on a new connection (receivers already dedupe by
 * webhook-id). Any other failure is the attempt's outcome.
 */
class StaleConnection extends Error {}

// Resolves with the answer once its body is read or cut short; a redirect is an answer like any other.
function post(url: URL, request: WebhookRequest, timeoutMs: number, guard: AddressGuard, fresh: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(request.body),
      "user-agent": USER_AGENT,
      "webhook-id": request.webhookId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureHeader(request.secrets, request.webhookId, timestamp, request.body),
    };
    const agent = fresh ? false : agents[url.protocol as keyof typeof agents];
    const req = client.request(url, { method: "POST", headers, agent, lookup: guard.lookup }, (res) => {
      const kept: Buffer[] = [];
      let read = 0;
      const answered = () => {
        clearTimeout(timer);
        // Postgres text cannot hold NUL: one in an answer would fail the statement recording a whole batch of attempts.
        const body = Buffer.concat(kept).subarray(0, keptResponseBytes).toString().replaceAll("\u0000", "");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      };
      res.on("data", (chunk: Buffer) => {
        if (read < keptResponseBytes) kept.push(chunk);
        read += chunk.length;
        // Enough read: the connection is dropped rather than drained, and the status stands.
        if (read > maxResponseBytes) {
          res.destroy();
          answered();
        }
      });
      res.once("end", answered);
      // The status counts even when the body is cut short.
      res.once("error", answered);
    });
    const timer = setTimeout(() => req.destroy(new Timeout()), timeoutMs);
    req.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(req.reusedSocket && err.code === "ECONNRESET" ? new StaleConnection() : err);
    });
    req.end(request.body);
  });
}

const networkErrors: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  HPE_HEADER_OVERFLOW: "response headers too large",
};

// A short, stable reason for the attempt's error field: no stack, nothing of our own internals.
function describe(err: unknown): string {
  if (err instanceof Timeout) return "timeout";
  if (err instanceof ForbiddenHost || err instanceof ForbiddenAddress) return "address not allowed";
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") return "request failed";
  if (networkErrors[code]) return networkErrors[code];
  if (code.startsWith("ERR_TLS") || code.includes("CERT")) return `tls error (${code})`;
  return `request failed (${code})`;
}
