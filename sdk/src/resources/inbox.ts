// inbox: listing events (every page, or one page as a worker's loop wants it), acknowledging them, the org's inbox settings.
import type { Client } from "@connectrpc/connect";
import type { Event } from "../../../gen/triggers/v1/event_pb.js";
import { type AckEventsResponse, InboxService, type InboxSettings, type ListInboxResponse } from "../../../gen/triggers/v1/inbox_pb.js";
import type { Caller } from "../caller.js";
import type { RequestOptions } from "../options.js";
import { allPages } from "../pages.js";
import { required } from "../required.js";
import { type Time, toTimestamp } from "../time.js";

/** Which events to list, and how. */
export interface InboxQuery {
  /** Events per page, 1 to 1000 (100 when not given). */
  limit?: number;
  /** Start where a page's `nextCursor` says, with the same filters and order. */
  cursor?: string;
  /** One type (`order.created`), or every type under a prefix (`order.*`). */
  type?: string;
  /** `pending` (not acknowledged; the default), `acked`, or how deliveries ended: `delivered`, `failed`; `all` for every event. */
  status?: "pending" | "acked" | "delivered" | "failed" | "all";
  source?: string;
  /** Received at or after this time. */
  since?: Time;
  /** Received before this time. */
  until?: Time;
  /** `asc`, oldest first (the default), or `desc`, newest first. */
  order?: "asc" | "desc";
  /** Long-poll: when nothing matches, wait up to this many seconds (at most 30) for an event to arrive. */
  wait?: number;
  /**
   * Lease the events listed for this many seconds (at most 43200): other consumers listing with a lease skip
   * them until it ends, and an event not acknowledged by then is listed again. Pending events only.
   */
  lease?: number;
}

export class Inbox {
  readonly #inbox: Client<typeof InboxService>;

  constructor(private readonly caller: Caller) {
    this.#inbox = caller.client(InboxService);
  }

  /**
   * Every event that matches, page after page, fetching each page as the one before is used up. A listing with
   * a lease is one page (the server leases what it lists): list again for more once those are acknowledged.
   */
  list(query: InboxQuery = {}, options?: RequestOptions): AsyncGenerator<Event, void, undefined> {
    return allPages(async (cursor) => {
      const page = await this.listPage({ ...query, cursor }, options);
      return { items: page.events, next: page.hasMore ? page.nextCursor : undefined };
    }, query.cursor);
  }

  /**
   * One page as the API answers it: `events`, `nextCursor` and `hasMore`. An empty page has no cursor: keep the
   * one you had, and list again later (or with `wait`) for events that arrive after it.
   */
  listPage(query: InboxQuery = {}, options?: RequestOptions): Promise<ListInboxResponse> {
    const request = {
      limit: query.limit,
      cursor: query.cursor,
      type: query.type,
      status: query.status,
      source: query.source,
      since: toTimestamp(query.since, "since"),
      until: toTimestamp(query.until, "until"),
      order: query.order,
      wait: query.wait,
      lease: query.lease,
    };
    // A long-poll answers when its wait is up: the attempt may take that long on top of the usual.
    const extraTimeoutMs = (query.wait ?? 0) * 1000;
    return this.caller.call((call) => this.#inbox.listInbox(request, call), { safeToRepeat: true, extraTimeoutMs }, options);
  }

  /** The types of the org's stored events, each once, in byte order, page after page (`limit` a page, 1 to 1000). */
  eventTypes(query: { limit?: number } = {}, options?: RequestOptions): AsyncGenerator<string, void, undefined> {
    return allPages(async (cursor) => {
      const request = { limit: query.limit, cursor };
      const page = await this.caller.call((call) => this.#inbox.listEventTypes(request, call), { safeToRepeat: true }, options);
      return { items: page.eventTypes, next: page.hasMore ? page.nextCursor : undefined };
    });
  }

  /** Acknowledges an event: it leaves the inbox. Acknowledging twice is harmless. */
  async ack(id: string, options?: RequestOptions): Promise<Event> {
    const response = await this.caller.call((call) => this.#inbox.ackEvent({ id }, call), { safeToRepeat: true }, options);
    return required(response.event, "event");
  }

  /** Acknowledges up to 1000 events: how many now, how many before, and the ids the org has no event of. */
  ackMany(ids: string[], options?: RequestOptions): Promise<AckEventsResponse> {
    return this.caller.call((call) => this.#inbox.ackEvents({ ids }, call), { safeToRepeat: true }, options);
  }

  /** The org's inbox settings (admin scope): how many days events are kept. */
  async getSettings(options?: RequestOptions): Promise<InboxSettings> {
    const response = await this.caller.call((call) => this.#inbox.getInboxSettings({}, call), { safeToRepeat: true }, options);
    return required(response.settings, "settings");
  }

  /** Changes the org's inbox settings (admin scope): `retentionDays` from 7 to 365. */
  async updateSettings(settings: { retentionDays: number }, options?: RequestOptions): Promise<InboxSettings> {
    const request = { settings: { retentionDays: settings.retentionDays } };
    const response = await this.caller.call((call) => this.#inbox.updateInboxSettings(request, call), { safeToRepeat: true }, options);
    return required(response.settings, "settings");
  }
}
