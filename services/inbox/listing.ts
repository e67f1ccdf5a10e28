// Lists a page of an org's inbox, and when the query asks for it, waits for matching events to arrive.
import { encodeSequenceCursor } from "../shared/cursor.js";
import type { Arrivals } from "./arrivals.js";
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
// An event announced may still be hidden, for a few milliseconds, behind an older transaction that has not ended.
const rereadDelaysMs = [0, 25, 50, 100, 200];

/** The ListInboxResponse as JSON text, written as Connect writes it (proto names, has_more present). */
export async function listInbox(
  store: InboxLister,
  arrivals: Pick<Arrivals, "next">,
  orgId: string,
  query: InboxQuery,
  limits: ListingLimits = {},
): Promise<string> {
  let page = await store.list(orgId, query);
  const started = performance.now();
  const waitMs = Math.min(query.waitMs, (limits.timeoutMs ?? Number.POSITIVE_INFINITY) - answerMarginMs);
  const left = () => started + waitMs - performance.now();
  while (!page.last && left() > 0 && !limits.signal?.aborted) {
    await arrivals.next(orgId, left(), limits.signal);
    for (const delay of rereadDelaysMs) {
      if (left() <= delay || limits.signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      page = await store.list(orgId, query);
      if (page.last) break;
    }
  }
  return responseJson(page, query);
}

function responseJson(page: InboxPage, query: InboxQuery): string {
  const cursor = page.last ? encodeSequenceCursor(page.last, query.direction) : "";
  return `{"events":${page.events},"next_cursor":${JSON.stringify(cursor)},"has_more":${page.more}}`;
}
