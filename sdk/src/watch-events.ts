// Following the org's events as they arrive: the WatchEvents stream, opened again from the last cursor whenever it breaks.
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Event } from "../../gen/triggers/v1/event_pb.js";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import type { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import type { Caller } from "./caller.js";
import { retryAfterSecondsOf } from "./rate-limit.js";
import { type Time, toTimestamp } from "./time.js";
import { TriggersError } from "./triggers-error.js";

/** Which events to follow, and from where. */
export interface WatchQuery {
  /** Go on after this event: a cursor a watch gave, or a `nextCursor` of an oldest-first listing. */
  cursor?: string;
  /** One type (`order.created`), or every type under a prefix (`order.*`). */
  type?: string;
  /** Only events in this state when the stream reads them (`pending`, `acked`, `delivered`, `failed`); every event when not given, or `all`. */
  status?: "pending" | "acked" | "delivered" | "failed" | "all";
  source?: string;
  /** Without a cursor, start with the first event received at or after this time, then go on live; from now when not given. */
  since?: Time;
  /** Stop after the events received before this time: the iteration ends once it has passed. */
  until?: Time;
}

/** One event of the stream, and where the stream is once it is read: keep the cursor to go on from there later. */
export interface WatchedEvent {
  event: Event;
  cursor: string;
}

export interface WatchOptions {
  /** Ends the iteration, cleanly: the loop over it just stops. */
  signal?: AbortSignal;
  /**
   * Told each time the stream is open, first and after each reconnect, with the cursor it starts after (empty when
   * it starts from `since`, or the org has no event yet): events stored from then on will be yielded. A UI's "connected".
   */
  onOpen?: (cursor: string) => void;
  /** Told each time the stream broke and is about to be opened again, after `delayMs`, from `cursor`. */
  onReconnect?: (reconnect: { error: TriggersError; delayMs: number; cursor: string }) => void;
}

const firstDelayMs = 250;
const longestDelayMs = 8_000;

export async function* watchEvents(
  caller: Caller,
  inbox: Client<typeof InboxService>,
  query: WatchQuery,
  options: WatchOptions = {},
): AsyncGenerator<WatchedEvent, void, undefined> {
  // Aborted by the caller's signal, and when the iteration ends for any reason (a `break` in the caller's loop
  // included), so that the stream's request ends too rather than hold one of the key's streams open.
  const stop = new AbortController();
  const forward = () => stop.abort();
  options.signal?.addEventListener("abort", forward, { once: true });
  if (options.signal?.aborted) stop.abort();
  const signal = stop.signal;
  let cursor = query.cursor ?? "";
  let since = toTimestamp(query.since, "since");
  const until = toTimestamp(query.until, "until");
  let failures = 0;
  try {
    for (;;) {
      if (signal.aborted) return;
      const request = { cursor, type: query.type, status: query.status, source: query.source, since: cursor ? undefined : since, until };
      // A stream from now of an org with no event yet has no cursor to go on from: should it break before its first
      // event, it opens again from the time it first opened, so that nothing received in between is missed.
      since ??= toTimestamp(new Date(), "since");
      try {
        let opened = false;
        for await (const message of inbox.watchEvents(request, caller.streamOptions(signal))) {
          failures = 0;
          if (message.cursor) cursor = message.cursor;
          // The first message says that the stream is open, with where it starts, and holds no event.
          if (!opened) options.onOpen?.(message.cursor);
          opened = true;
          if (message.event) yield { event: message.event, cursor: message.cursor };
        }
        return;
      } catch (thrown) {
        if (signal.aborted) return;
        const err = ConnectError.from(thrown);
        if (!reconnectable(err)) throw new TriggersError(err);
        failures++;
        const delayMs = delayOf(err, failures);
        options.onReconnect?.({ error: new TriggersError(err), delayMs, cursor });
        if (!(await pause(delayMs, signal))) return;
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", forward);
    stop.abort();
  }
}

/**
 * The server ends a stream with unavailable when it restarts or the reader fell behind (STREAM_ENDED), and the
 * network can break it (no answer, a reset, a cut body): each time, opening it again from the last cursor misses
 * nothing. Anything else (a bad filter, a refused key, too many streams) would fail again the same way.
 */
function reconnectable(err: ConnectError): boolean {
  if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) return true;
  if (err.code === Code.ResourceExhausted) return err.findDetails(ErrorInfoSchema)[0]?.reason === ErrorReason.RATE_LIMITED;
  // A body cut mid-stream reaches Connect as fetch's own TypeError, with no answer behind it.
  return err.code === Code.Unknown && err.cause instanceof TypeError;
}

/** The server's Retry-After when it gave one; else doubling from a quarter of a second to eight, at random within each step. */
function delayOf(err: ConnectError, failures: number): number {
  const retryAfter = retryAfterSecondsOf(err.metadata);
  if (retryAfter !== undefined) return retryAfter * 1000;
  // The first reconnect is quick: a server that ended the stream on purpose (a restart) is usually back, or another replica answers.
  const step = Math.min(longestDelayMs, firstDelayMs * 2 ** (failures - 1));
  return step / 2 + (step / 2) * Math.random();
}

/** Waits, unless the caller stops first: then false. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve(true);
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}
