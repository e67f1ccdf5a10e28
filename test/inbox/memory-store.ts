// The inbox store's reads and acknowledgement in memory, ordered and scoped by org as the Postgres store is, for route tests.

import type { InboxReads } from "../../services/inbox/routes.js";
import type { AckCounts, EventRow } from "../../services/inbox/store.js";

export class MemoryEventStore implements InboxReads {
  readonly rows: EventRow[] = [];

  add(row: Pick<EventRow, "id" | "org_id" | "type"> & Partial<EventRow>): EventRow {
    const now = new Date();
    const full: EventRow = { source: "", data: {}, occurred_at: now, received_at: now, acked_at: null, delivery_status: null, ...row };
    this.rows.push(full);
    this.rows.sort((a, b) => a.id.localeCompare(b.id));
    return full;
  }

  async pending(orgId: string, afterId: string | undefined, limit: number): Promise<EventRow[]> {
    return this.rows.filter((row) => row.org_id === orgId && !row.acked_at && (!afterId || row.id > afterId)).slice(0, limit);
  }

  async find(orgId: string, id: string): Promise<EventRow | undefined> {
    return this.rows.find((row) => row.org_id === orgId && row.id === id);
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
