// audit: the org's audit log (admin scope), newest first: who changed its keys and subscriptions, when, from where.
import type { Client } from "@connectrpc/connect";
import { type AuditEntry, AuthService } from "../../../gen/triggers/v1/auth_pb.js";
import type { Caller } from "../caller.js";
import type { RequestOptions } from "../options.js";
import { allPages } from "../pages.js";

export interface AuditQuery {
  /** Only entries of this action, such as `key.revoked`. */
  action?: string;
  /** Entries per page, 1 to 100 (50 when not given). */
  limit?: number;
}

export class Audit {
  readonly #auth: Client<typeof AuthService>;

  constructor(private readonly caller: Caller) {
    this.#auth = caller.client(AuthService);
  }

  /** Every entry, newest first, page after page. An entry is listed a moment after the change it records. */
  list(query: AuditQuery = {}, options?: RequestOptions): AsyncGenerator<AuditEntry, void, undefined> {
    return allPages(async (cursor) => {
      const request = { cursor, action: query.action, limit: query.limit };
      const page = await this.caller.call((call) => this.#auth.listAuditEntries(request, call), { safeToRepeat: true }, options);
      return { items: page.entries, next: page.nextCursor || undefined };
    });
  }
}
