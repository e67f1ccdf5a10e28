// The inbox store's reads and acknowledgement in memory, ordered and scoped by org as the Postgres store is, for route tests.

import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventSchema } from "../../gen/triggers/v1/event_pb.js";
import type { InboxQuery } from "../../services/inbox/inbox-query.js";
import type { InboxReads } from "../../services/inbox/routes.js";
import type { AckCounts, EventDetail, EventRow, EventsRead, InboxPage } from "../../services/inbox/store.js";
import type { BeforeCommit } from "../../services/shared/database.js";
import { apiJson } from "../../services/shared/json.js";

export class MemoryEventStore implements InboxReads {
  readonly rows: EventDetail[] = [];

  add(row: Pick<EventRow, "id" | "org_id" | "type"> & Partial<EventDetail>): EventDetail {
    const now = new Date();
    const full: EventDetail = {
      source: "",
      data: {},
      occurred_at: now,
      received_at: now,
      acked_at: null,
      delivery_status: null,
      settled_at: null,
      ...row,
    };
    this.rows.push(full);
    this.rows.sort((a, b) => a.id.localeCompare(b.id));
    return full;
  }

  /** Pending, acknowledged or all events in arrival order, oldest first: the other filters are tested on Postgres. */
  async list(orgId: string, query: InboxQuery): Promise<InboxPage> {
    const { events, more } = await this.listEach(orgId, query);
    return { events: `[${events.map(({ json }) => json).join(",")}]`, last: events.at(-1)?.position, more };
  }

  async listEach(orgId: string, query: InboxQuery): Promise<EventsRead> {
    // A position is an event's index plus one: 0 is before the first.
    const matching = this.rows
      .slice(Number(query.after ?? 0))
      .filter((row) => row.org_id === orgId && (query.status === "all" || (query.status === "acked") === (row.acked_at !== null)));
    const events = matching.slice(0, query.limit).map((row) => ({
      json: JSON.stringify(toJson(EventSchema, eventOf(row), apiJson)),
      position: String(this.rows.indexOf(row) + 1),
    }));
    return { events, more: matching.length > query.limit };
  }

  async latestPosition(orgId: string): Promise<string> {
    const own = this.rows.filter((row) => row.org_id === orgId);
    return String(own.length > 0 ? this.rows.indexOf(own.at(-1)!) + 1 : 0);
  }

  /** In code-unit order, which for the ASCII of type names is Postgres' byte order. */
  async eventTypes(orgId: string, after: string | undefined, limit: number): Promise<string[]> {
    const types = new Set(this.rows.filter((row) => row.org_id === orgId).map((row) => row.type));
    return [...types]
      .filter((type) => after === undefined || type > after)
      .sort()
      .slice(0, limit);
  }

  async find(orgId: string, id: string): Promise<EventDetail | undefined> {
    return this.rows.find((row) => row.org_id === orgId && row.id === id);
  }

  async delete(orgId: string, id: string, beforeCommit: BeforeCommit<string>): Promise<boolean> {
    const row = await this.find(orgId, id);
    if (!row) return false;
    await beforeCommit(id);
    this.rows.splice(this.rows.indexOf(row), 1);
    return true;
  }

  readonly retention = new Map<string, number>();

  async retentionDays(orgId: string): Promise<number | undefined> {
    return this.retention.get(orgId);
  }

  async setRetentionDays(orgId: string, days: number, beforeCommit: BeforeCommit<number>): Promise<void> {
    await beforeCommit(days);
    this.retention.set(orgId, days);
  }

  async ackMany(orgId: string, ids: string[]): Promise<AckCounts> {
    const counts: AckCounts = { acked: 0, already_acked: 0, unknown_ids: [] };
    for (const id of [...new Set(ids)].sort()) {
      const row = await this.find(orgId, id);
      if (!row) counts.unknown_ids.push(id);
      else if (row.acked_at) counts.already_acked++;
      else {
        row.acked_at = new Date();
        counts.acked++;
      }
    }
    return counts;
  }

  async ack(orgId: string, id: string): Promise<EventRow | undefined> {
    const row = await this.find(orgId, id);
    if (row) row.acked_at ??= new Date();
    return row;
  }
}

function eventOf(row: EventRow) {
  return create(EventSchema, {
    id: row.id,
    type: row.type,
    source: row.source,
    data: row.data as never,
    occurredAt: timestampFromDate(row.occurred_at),
    receivedAt: timestampFromDate(row.received_at),
    ackedAt: row.acked_at ? timestampFromDate(row.acked_at) : undefined,
  });
}
