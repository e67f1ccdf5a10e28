// One reader of GET /v1/events/stream for the whole soak, as a browser's EventSource reads it: it reconnects on its own
// (sending Last-Event-ID) when the stream ends or breaks, and is opened again from its last cursor when a refusal
// (a gateway answering 503 while auth restarts) closed it for good.
import { EventSource } from "eventsource";

export interface LiveStream {
  /** Each event read, with how many times. */
  received: Map<string, number>;
  counts: { events: number; opened: number; reopened: number };
  /** Resolves once the stream first said where it starts (it starts from now), or after timeoutMs. */
  ready(timeoutMs: number): Promise<void>;
  close(): void;
}

const reopenMs = 1_000;

export function openLiveStream(gatewayUrl: string, key: string): LiveStream {
  const received = new Map<string, number>();
  const counts = { events: 0, opened: 0, reopened: 0 };
  let cursor = "";
  let closed = false;
  let source: EventSource | undefined;
  let timer: NodeJS.Timeout | undefined;
  let markReady = () => {};
  const firstReady = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const open = () => {
    const url = new URL("/v1/events/stream", gatewayUrl);
    if (cursor) url.searchParams.set("cursor", cursor);
    const current = new EventSource(url, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${key}` } }),
    });
    source = current;
    current.addEventListener("ready", () => {
      counts.opened++;
      markReady();
    });
    current.onmessage = (message) => {
      counts.events++;
      if (message.lastEventId) cursor = message.lastEventId;
      const id = (JSON.parse(message.data) as { id: string }).id;
      received.set(id, (received.get(id) ?? 0) + 1);
    };
    current.onerror = () => {
      if (closed || current.readyState !== current.CLOSED) return;
      counts.reopened++;
      timer = setTimeout(open, reopenMs);
    };
  };
  open();
  return {
    received,
    counts,
    ready: (timeoutMs) => Promise.race([firstReady, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]),
    close: () => {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}
