// Gathers single-event publishes into PublishEvents calls to ingest: the gRPC hop, not JetStream, is what one event costs most.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { ErrorInfoSchema, type EventInput } from "../../gen/triggers/v1/event_pb.js";
import {
  type PublishEventResponse,
  type PublishEventsRequest,
  PublishEventsRequestSchema,
  type PublishEventsResponse,
  type PublishEventsResult,
} from "../../gen/triggers/v1/ingest_pb.js";
import { currentRequestId } from "../shared/request-context.js";

interface Waiting {
  event: EventInput;
  requestId: string | undefined;
  resolve(response: PublishEventResponse): void;
  reject(err: unknown): void;
}

/** The events of one API key: batches carry the key, so they never mix callers. */
interface KeyQueue {
  waiting: Waiting[];
  calls: number;
}

/** What ends one caller's wait early, as it would a call of its own: its deadline, its cancellation. */
export interface CallerLimits {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Calls ingest's PublishEvents with one key's credentials; rejects with the error to give every event of the batch. */
export type SendBatch = (request: PublishEventsRequest) => Promise<PublishEventsResponse>;

// Ingest takes at most 1000 events a call; half keeps each call's latency modest.
const maxBatchSize = 500;
// The first event of a key goes out at once, later ones ride the next call: batches grow with the load,
// while a lone event waits for nothing. Each call, and each stream message it becomes, costs the gateway,
// ingest, NATS and both consumers far more than an event does. Measured with 64 clients: one call in flight
// served 3.9k events/s with ~28 events a call, two 3.6k/s with ~14; a slow call holds up the key's next
// events either way, as ingest and NATS are the same for both.
const maxCallsPerKey = 1;

export class EventBatcher {
  readonly #queues = new Map<string, KeyQueue>();

  /** Resolves once ingest has made this event durable, exactly as a PublishEvent call would. */
  publish(key: string, event: EventInput, send: SendBatch, limits: CallerLimits = {}): Promise<PublishEventResponse> {
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(key) ?? { waiting: [], calls: 0 };
      this.#queues.set(key, queue);
      const waiting: Waiting = { event, requestId: currentRequestId(), resolve, reject };
      queue.waiting.push(waiting);
      if (limits.timeoutMs !== undefined || limits.signal) watch(queue, waiting, limits);
      if (queue.calls < maxCallsPerKey) void this.#send(key, queue, send);
    });
  }

  async #send(key: string, queue: KeyQueue, send: SendBatch): Promise<void> {
    const batch = queue.waiting.splice(0, maxBatchSize);
    queue.calls++;
    try {
      const request = create(PublishEventsRequestSchema, {
        events: batch.map((w) => w.event),
        requestIds: batch.map((w) => w.requestId ?? ""),
      });
      const { results } = await send(request);
      for (const [i, waiting] of batch.entries()) settle(waiting, results[i]);
    } catch (err) {
      for (const waiting of batch) waiting.reject(err);
    } finally {
      queue.calls--;
      if (queue.waiting.length > 0) void this.#send(key, queue, send);
      else if (queue.calls === 0) this.#queues.delete(key);
    }
  }
}

/**
 * Ends the caller's wait at its deadline or cancellation. An event still queued is then never sent; one already
 * on its way to ingest may still be stored, as with any call cut short.
 */
function watch(queue: KeyQueue, waiting: Waiting, { timeoutMs, signal }: CallerLimits): void {
  const { resolve, reject } = waiting;
  const giveUp = (err: ConnectError) => {
    const queued = queue.waiting.indexOf(waiting);
    if (queued >= 0) queue.waiting.splice(queued, 1);
    waiting.reject(err);
  };
  const onAbort = () => giveUp(new ConnectError("the call was cancelled before ingest answered", Code.Canceled));
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => giveUp(new ConnectError("the call's deadline passed before ingest answered", Code.DeadlineExceeded)), timeoutMs);
  signal?.addEventListener("abort", onAbort, { once: true });
  const stopWatching = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  waiting.resolve = (response) => {
    stopWatching();
    resolve(response);
  };
  waiting.reject = (err) => {
    stopWatching();
    reject(err);
  };
  if (signal?.aborted) onAbort();
}

function settle(waiting: Waiting, result: PublishEventsResult | undefined): void {
  const outcome = result?.result;
  if (outcome?.case === "accepted") {
    waiting.resolve(outcome.value);
    return;
  }
  if (outcome?.case !== "error") {
    waiting.reject(new ConnectError("ingest gave no result for the event", Code.Internal));
    return;
  }
  const { code, message, info } = outcome.value;
  // Ingest names fields within the batch ("events[3].type"); the caller sent one event and knows it as "type".
  if (info) info.field = info.field.replace(/^events\[\d+\]\./, "");
  const details = info ? [{ desc: ErrorInfoSchema, value: info }] : [];
  waiting.reject(new ConnectError(message, codeFromString(code) ?? Code.Internal, undefined, details));
}
