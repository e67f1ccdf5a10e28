// What a ListInbox or WatchEvents request asks for, checked: its page, filters, order, long-poll wait and lease.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ListInboxRequest, WatchEventsRequest } from "../../gen/triggers/v1/inbox_pb.js";
import { inboxPage, maxInboxLeaseSeconds, maxInboxWaitSeconds } from "../shared/api-limits.js";
import { type Direction, decodeSequenceCursor } from "../shared/cursor.js";
import { InvalidField } from "../shared/domain-errors.js";
import { isEventType } from "../shared/event-types.js";
import { pageSize } from "../shared/page-size.js";

export const inboxStatuses = ["pending", "acked", "delivered", "failed", "all"] as const;
export type InboxStatus = (typeof inboxStatuses)[number];

/** Oldest first, or newest first. */
export const inboxOrders = ["asc", "desc"] as const;

export interface InboxQuery {
  limit: number;
  /** The position of the event the page starts after. */
  after: string | undefined;
  direction: Direction;
  status: InboxStatus;
  /** An exact type, or the start of the types wanted ("order." for "order.*"). */
  type: { exact: string } | { prefix: string } | undefined;
  source: string | undefined;
  since: Date | undefined;
  until: Date | undefined;
  /** How long to wait for a matching event when none is there yet; 0 answers at once. */
  waitMs: number;
  /** 0 when the events are not to be leased. */
  leaseSeconds: number;
}

const statuses: ReadonlySet<string> = new Set(inboxStatuses);

export function inboxQueryOf(req: ListInboxRequest): InboxQuery {
  const direction = directionOf(req.order);
  const status = statusOf(req.status, "pending");
  const leaseSeconds = secondsOf(req.lease, "lease", maxInboxLeaseSeconds);
  if (leaseSeconds > 0 && status !== "pending") throw new InvalidField("lease", "only pending events can be leased");
  return {
    limit: pageSize(req.limit, inboxPage),
    after: decodeSequenceCursor(req.cursor, direction),
    direction,
    status,
    ...filtersOf(req),
    waitMs: secondsOf(req.wait, "wait", maxInboxWaitSeconds) * 1000,
    leaseSeconds,
  };
}

/** What a WatchEvents request asks for: its events are read as pages of the inbox, oldest first. */
export interface WatchQuery {
  /** The pages' query; its after is where the stream starts, undefined to start from since or from now. */
  query: InboxQuery;
  /** Neither a cursor nor since: the stream starts after the latest event stored. */
  fromNow: boolean;
  /** The stream ends once it has sent what is stored, instead of waiting for more. */
  untilCaughtUp: boolean;
}

// Events a stream reads at once: a burst is sent in pages of this size, while a reader keeps up.
const watchPage = 100;

export function watchQueryOf(req: WatchEventsRequest): WatchQuery {
  const query: InboxQuery = {
    limit: watchPage,
    after: decodeSequenceCursor(req.cursor, "asc"),
    direction: "asc",
    status: statusOf(req.status, "all"),
    ...filtersOf(req),
    waitMs: 0,
    leaseSeconds: 0,
  };
  return { query, fromNow: query.after === undefined && query.since === undefined, untilCaughtUp: req.untilCaughtUp };
}

function filtersOf(req: ListInboxRequest | WatchEventsRequest): Pick<InboxQuery, "type" | "source" | "since" | "until"> {
  const since = req.since && dateOf(timestampDate(req.since), "since");
  const until = req.until && dateOf(timestampDate(req.until), "until");
  if (since && until && since >= until) throw new InvalidField("until", "until must be later than since");
  return { type: typeFilterOf(req.type), source: req.source || undefined, since, until };
}

// A binary caller may send any seconds at all; JSON callers only RFC 3339 times, which Dates hold.
function dateOf(date: Date, field: string): Date {
  if (Number.isNaN(date.getTime())) throw new InvalidField(field, `${field} is out of range`);
  return date;
}

function directionOf(order: string): Direction {
  if (order === "" || order === "asc") return "asc";
  if (order === "desc") return "desc";
  throw new InvalidField("order", 'order must be "asc" or "desc"');
}

function statusOf(status: string, fallback: InboxStatus): InboxStatus {
  if (status === "") return fallback;
  if (statuses.has(status)) return status as InboxStatus;
  throw new InvalidField("status", "status must be pending, acked, delivered, failed or all");
}

function secondsOf(value: number, field: string, max: number): number {
  if (value < 0 || value > max) throw new InvalidField(field, `${field} must be from 0 to ${max} seconds`);
  return value;
}

function typeFilterOf(type: string): InboxQuery["type"] {
  if (type === "") return undefined;
  const prefix = type.endsWith(".*") ? type.slice(0, -1) : undefined;
  if (!isEventType(prefix ? prefix.slice(0, -1) : type))
    throw new InvalidField("type", 'type must be an event type, or a prefix such as "order.*"');
  return prefix ? { prefix } : { exact: type };
}
