// Lists a page of an org's inbox, and when the query asks for it, waits for matching events to arrive.

import type { Arrivals } from "../shared/arrivals.js";
import { encodeSequenceCursor } from "../shared/cursor.js";
import type { InboxQuery } from "./inbox-query.js";
import type { EventStore, InboxPage } from "./store.js";

export type InboxLister = Pick<EventStore, "list">;

export interface ListingLimits {
  /** The call's deadline, when it has one: the wait ends early enough to answer within it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

// Time left after a wait to run the query once more and send the answer.
const answerMarginMs = 1_000;

/** The ListInboxResponse as JSON text, written as Connect writes it (proto names, has_more present). */
export async function listInbox(
  store: InboxLister,
  arrivals: Pick<Arrivals, "watch">,
  orgId: string,
  query: InboxQuery,
  limits: ListingLimits = {},
): Promise<string> {
  const started = performance.now();
  const waitMs = Math.min(query.waitMs, (limits.timeoutMs ?? Number.POSITIVE_INFINITY) - answerMarginMs);
  const left = () => started + waitMs - performance.now();
  const watch = waitMs > 0 ? arrivals.watch(orgId) : undefined;
  try {
    let page = await store.list(orgId, query);
    while (watch && !page.last && left() > 0 && !limits.signal?.aborted) {
      await watch.next(left(), limits.signal);
      // Announced events are committed: one reading finds them, unless they match another query than this one.
      if (left() > 0 && !limits.signal?.aborted) page = await store.list(orgId, query);
    }
    return responseJson(page, query);
  } finally {
    watch?.close();
  }
}

function responseJson(page: InboxPage, query: InboxQuery): string {
  const cursor = page.last ? encodeSequenceCursor(page.last, query.direction) : "";
  return `{"events":${page.events},"next_cursor":${JSON.stringify(cursor)},"has_more":${page.more}}`;
}
