// Streams an org's events as they arrive: each page read after the stream's cursor, then a wait for the org's next arrival, woken over NATS.
import { create, fromJsonString } from "@bufbuild/protobuf";
import { EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { type WatchEventsResponse, WatchEventsResponseSchema } from "../../gen/triggers/v1/inbox_pb.js";
import type { Arrivals } from "../shared/arrivals.js";
import { encodeSequenceCursor } from "../shared/cursor.js";
import { StreamEnded } from "../shared/domain-errors.js";
import type { WatchQuery } from "./inbox-query.js";
import type { EventStore } from "./store.js";

export type WatchReads = Pick<EventStore, "listEach" | "latestPosition">;

export interface WatchSignals {
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
  /** Aborted when the server begins to stop: the stream ends, and its caller reconnects elsewhere. */
  draining: AbortSignal;
}

export async function* watchEvents(
  store: WatchReads,
  arrivals: Pick<Arrivals, "watch">,
  orgId: string,
  { query, fromNow, untilCaughtUp }: WatchQuery,
  { signal, draining }: WatchSignals,
): AsyncGenerator<WatchEventsResponse> {
  // Watching begins before the first reading: an event stored in between still wakes the stream.
  const arrived = arrivals.watch(orgId);
  const stopped = AbortSignal.any([signal, draining]);
  try {
    let after = fromNow ? await store.latestPosition(orgId) : query.after;
    // Said at once, so that the caller knows the stream is open, and a reconnect before any event misses none.
    yield create(WatchEventsResponseSchema, { cursor: after === undefined ? "" : encodeSequenceCursor(after, "asc") });
    for (;;) {
      const page = await store.listEach(orgId, { ...query, after });
      for (const { json, position } of page.events) {
        after = position;
        const event = fromJsonString(EventSchema, json);
        yield create(WatchEventsResponseSchema, { event, cursor: encodeSequenceCursor(position, "asc") });
      }
      if (page.more) continue;
      if (untilCaughtUp) return;
      const untilMs = query.until ? query.until.getTime() - Date.now() : Number.POSITIVE_INFINITY;
      if (untilMs <= 0) return;
      await arrived.next(untilMs, stopped);
      if (draining.aborted) throw new StreamEnded("restarting");
      if (signal.aborted) return;
    }
  } finally {
    arrived.close();
  }
}
