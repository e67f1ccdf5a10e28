// listen's POST of one event to the local URL: the body a subscription would get, signed as Triggers signs webhooks.
import { create } from "@bufbuild/protobuf";
import { EventSchema } from "../../sdk/src/connect.js";
import type { Event } from "../../sdk/src/index.js";
import { apiJson } from "./output.js";
import { webhookHeaders } from "./webhook-signing.js";

/** As long as Triggers waits for an endpoint's answer. */
const timeoutMs = 10_000;

export interface Forwarded {
  /** The answer's status; undefined when none came. */
  status: number | undefined;
  durationMs: number;
  /** Why no answer came: a refused connection, a timeout. */
  error?: string;
}

/** The webhook body: the event as the inbox serves it, without inbox state (acked_at, delivery_status). */
function webhookBody({ id, type, source, data, occurredAt, receivedAt }: Event): string {
  return JSON.stringify(apiJson(EventSchema, create(EventSchema, { id, type, source, data, occurredAt, receivedAt })));
}

export async function forwardEvent(url: string, event: Event, secret: string): Promise<Forwarded> {
  const body = webhookBody(event);
  const started = performance.now();
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "triggers-cli listen", ...webhookHeaders(secret, event.id, body) },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read so that the connection can be used again; what the server says is not ours to show.
    await answer.arrayBuffer();
    return { status: answer.status, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    return { status: undefined, durationMs: Math.round(performance.now() - started), error: cause?.message ?? (err as Error).message };
  }
}
