// Sends one event to one webhook URL and says how it went; never throws.
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { EventSchema, type Event } from "../../gen/triggers/v1/event_pb.js";
import type { AttemptOutcome } from "./store.js";
import { apiJson } from "../shared/json.js";

export const USER_AGENT = "Triggers/0.1";

// Endpoints owe us a status, not a body: reading a little lets the connection be reused, reading all could exhaust memory.
const maxResponseBytes = 64 * 1024;

/** The JSON body a subscriber receives: the event as the inbox serves it, without inbox state; data is JSON text. */
export function webhookBody(event: Event, data: string): string {
  const { id, type, source, occurredAt, receivedAt } = event;
  const body = create(EventSchema, { id, type, source, data: JSON.parse(data) as JsonObject, occurredAt, receivedAt });
  return JSON.stringify(toJson(EventSchema, body, apiJson));
}

export async function postEvent(url: string, event: Event, data: string, timeoutMs: number): Promise<AttemptOutcome> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
      },
      body: webhookBody(event, data),
      // A redirect could point anywhere, including inside our network: the subscriber must give the final URL.
      redirect: "manual",
      signal,
    });
    await discard(res.body, maxResponseBytes);
    const ok = res.status >= 200 && res.status < 300;
    // The status says why an answered attempt failed; error is for attempts that got no answer.
    return { status: ok ? "succeeded" : "failed", responseStatus: res.status, error: "", durationMs: durationMs() };
  } catch (err) {
    return { status: "failed", responseStatus: 0, error: describe(err, signal), durationMs: durationMs() };
  }
}

async function discard(body: ReadableStream<Uint8Array> | null, limit: number): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  let read = 0;
  try {
    while (read <= limit) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The answer's status is what counts; a body cut short or timed out changes nothing.
  } finally {
    reader.releaseLock();
  }
}

const networkErrors: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_HEADERS_OVERFLOW: "response headers too large",
};

// A short, stable reason for the attempt's error field: no stack, nothing of our own internals.
function describe(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return "timeout";
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  if (code && networkErrors[code]) return networkErrors[code];
  if (code?.startsWith("ERR_TLS") || code?.includes("CERT")) return `tls error (${code})`;
  return code ? `request failed (${code})` : "request failed";
}
