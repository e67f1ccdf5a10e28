// Sends one event to one webhook URL and says how it went; never throws.
import http from "node:http";
import https from "node:https";
import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { apiJson } from "../shared/json.js";
import type { AttemptOutcome } from "./store.js";

export const USER_AGENT = "Triggers/0.1";

// Endpoints owe us a status, not a body: reading a little lets the connection be reused, reading all could exhaust memory.
const maxResponseBytes = 64 * 1024;

// Connections to a subscriber are kept and reused: most send many events to the same few endpoints.
// node:http rather than fetch: fetch's web streams cost several times the CPU of the POST itself.
const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

/** The JSON body a subscriber receives: the event as the inbox serves it, without inbox state; data is JSON text. */
export function webhookBody(event: Event, data: string): string {
  const { id, type, source, occurredAt, receivedAt } = event;
  const body = create(EventSchema, { id, type, source, data: JSON.parse(data) as JsonObject, occurredAt, receivedAt });
  return JSON.stringify(toJson(EventSchema, body, apiJson));
}

export async function postEvent(url: string, event: Event, data: string, timeoutMs: number): Promise<AttemptOutcome> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  try {
    const target = new URL(url);
    const body = webhookBody(event, data);
    const responseStatus = await post(target, event, body, timeoutMs).catch((err: unknown) => {
      if (!(err instanceof StaleConnection)) throw err;
      return post(target, event, body, Math.max(1, timeoutMs - durationMs()), { fresh: true });
    });
    const ok = responseStatus >= 200 && responseStatus < 300;
    // The status says why an answered attempt failed; error is for attempts that got no answer.
    return { status: ok ? "succeeded" : "failed", responseStatus, error: "", durationMs: durationMs() };
  } catch (err) {
    return { status: "failed", responseStatus: 0, error: describe(err), durationMs: durationMs() };
  }
}

class Timeout extends Error {}

/**
 * A kept-alive connection the endpoint closed just as we reused it: the request most likely never reached it, and
 * Node's documentation says to send it again. We do, once, on a new connection (receivers already dedupe by
 * webhook-id). Any other failure is the attempt's outcome.
 */
class StaleConnection extends Error {}

// Resolves with the answer's status once its body is read or cut short; a redirect is an answer like any other.
function post(url: URL, event: Event, body: string, timeoutMs: number, { fresh = false } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const headers = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "user-agent": USER_AGENT,
      "webhook-id": event.id,
      "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
    };
    const req = client.request(
      url,
      { method: "POST", headers, agent: fresh ? false : agents[url.protocol as keyof typeof agents] },
      (res) => {
        let read = 0;
        const answered = () => {
          clearTimeout(timer);
          resolve(res.statusCode ?? 0);
        };
        res.on("data", (chunk: Buffer) => {
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
      },
    );
    const timer = setTimeout(() => req.destroy(new Timeout()), timeoutMs);
    req.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(req.reusedSocket && err.code === "ECONNRESET" ? new StaleConnection() : err);
    });
    req.end(body);
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
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") return "request failed";
  if (networkErrors[code]) return networkErrors[code];
  if (code.startsWith("ERR_TLS") || code.includes("CERT")) return `tls error (${code})`;
  return `request failed (${code})`;
}
