// A Server-Sent Events reader by hand, for what EventSource hides: the retry hint, comments, the socket paused, the stream's end.
import http from "node:http";
import { apiClient } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import type { Stack } from "../../helpers/stack.js";

export interface SseEvent {
  event?: string;
  id?: string;
  data: string;
}

export interface SseStream {
  requestId: string;
  retryMs: number | undefined;
  /** The cursor of the stream's "ready" event: where it starts. */
  readyCursor: string;
  comments: string[];
  /** The first count data events (those without an event type), once they have arrived. */
  events(count: number): Promise<SseEvent[]>;
  /** Starts reading a paused stream, and resolves with every event once the server has ended it. */
  readAll(): Promise<SseEvent[]>;
  close(): void;
}

/** Publishes an event through the gateway and answers its id. */
export async function publish(stack: Stack, key: string, type: string, data: object = {}): Promise<string> {
  const res = await apiClient(stack.gatewayUrl, key).post("/v1/events", { type, data });
  if (res.status !== 200) throw new Error(`publishing answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * Opens GET /v1/events/stream and resolves once it is open (its "ready" event read), or rejects with the refusal.
 * A paused stream is not read at all after its first bytes: its socket's buffers fill, as a stalled client's do.
 */
export function openSse(baseUrl: string, key: string, headers: Record<string, string> = {}, { paused = false } = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}/v1/events/stream`, { headers: { authorization: `Bearer ${key}`, ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`the stream answered ${res.statusCode}`));
        return;
      }
      const all: SseEvent[] = [];
      const comments: string[] = [];
      let retryMs: number | undefined;
      let buffered = "";
      let ended = false;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        const blocks = buffered.split("\n\n");
        buffered = blocks.pop()!;
        for (const block of blocks) {
          const fields = parseBlock(block);
          if (fields.comment !== undefined) comments.push(fields.comment);
          if (fields.retry !== undefined) retryMs = fields.retry;
          if (fields.data !== undefined) all.push({ event: fields.event, id: fields.id, data: fields.data });
        }
        const ready = all.find((event) => event.event === "ready");
        if (ready && paused && !announced) res.pause();
        if (ready) opened(ready);
      });
      // A socket the server cut after ending the stream counts too: what arrived before is all there is.
      res.on("close", () => {
        ended = true;
      });
      res.on("error", () => {});
      let announced = false;
      const opened = (ready: SseEvent) => {
        if (announced) return;
        announced = true;
        const data = () => all.filter((event) => event.event === undefined);
        resolve({
          requestId: String(res.headers["x-request-id"]),
          get retryMs() {
            return retryMs;
          },
          readyCursor: JSON.parse(ready.data).cursor,
          comments,
          events: (count) => eventually(() => (data().length >= count ? data().slice(0, count) : undefined), `${count} events`),
          readAll: () => {
            res.resume();
            return eventually(() => (ended ? all.filter((event) => event.event !== "ready") : undefined), "the stream's end");
          },
          close: () => req.destroy(),
        });
      };
    });
    req.on("error", reject);
  });
}

function parseBlock(block: string): { event?: string; id?: string; data?: string; retry?: number; comment?: string } {
  const fields: ReturnType<typeof parseBlock> = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) fields.comment = line.slice(1).trim();
    const [, name, value] = /^(\w+): ?(.*)$/.exec(line) ?? [];
    if (name === "data") fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
    if (name === "event" || name === "id") fields[name] = value;
    if (name === "retry") fields.retry = Number(value);
  }
  return fields;
}
