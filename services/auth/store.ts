// The auth service's tables: orgs, and their keys stored as hashes with what each may do.
import type { JsonObject } from "@bufbuild/protobuf";
import { maxKeysPerOrg } from "../shared/api-limits.js";
import type { BeforeCommit, Sql, Transaction } from "../shared/database.js";
import { NotFound, PreconditionFailed } from "../shared/domain-errors.js";
import { writeOutbox } from "../shared/outbox.js";
import { keyChangedSubject } from "../shared/streams.js";

export interface OrgRow {
  id: string;
  name: string;
  plan: string;
  events_per_minute: number;
  created_at: Date;
}

export interface KeyRow {
  id: string;
  org_id: string;
  environment: string;
  secret_hash: string;
  name: string;
  scopes: string[];
  allowed_cidrs: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

/** A key with what its org's plan allows, as verification needs it. */
export interface VerifiedKeyRow extends KeyRow {
  events_per_minute: number;
}

/** A key about to be stored: its hash, never its secret. */
export interface KeyToStore {
  id: string;
  environment: string;
  secretHash: string;
  name: string;
  scopes: string[];
  allowedCidrs: string[];
}

export interface AuditRow {
  id: string;
  org_id: string;
  action: string;
  resource: string;
  resource_id: string;
  key_id: string;
  client_address: string;
  request_id: string;
  at: Date;
  details: JsonObject;
}

export function createAuthStore(sql: Sql) {
  /** A key that still works: neither revoked nor past the end of its grace period. */
  const working = () => sql`revoked_at is null and (expires_at is null or expires_at > now())`;
  // A key in a rotation's grace period still opens the API, so it counts against the cap as any working key does.
  const requireRoom = async (tx: Transaction, orgId: string): Promise<void> => {
    const [{ count }] = await tx<[{ count: number }]>`
      select count(*)::int as count from auth.keys where org_id = ${orgId} and ${working()}`;
    if (count >= maxKeysPerOrg) {
      throw new PreconditionFailed(
        `an org holds at most ${maxKeysPerOrg} keys, rotated ones in their grace period included: revoke one first`,
      );
    }
  };
  const orgKey = async (tx: Transaction, orgId: string, id: string): Promise<KeyRow> => {
    const [row] = await tx<KeyRow[]>`select * from auth.keys where id = ${id} and org_id = ${orgId} and ${working()}`;
    if (!row) throw new NotFound("key");
    return row;
  };

  return {
    async createOrg(org: Omit<OrgRow, "created_at">, key: KeyToStore, beforeCommit: BeforeCommit<OrgRow>) {
      return sql.begin(async (tx) => {
        const [orgRow] = await tx<OrgRow[]>`insert into auth.orgs ${tx(org)} returning *`;
        const keyRow = await insertKey(tx, org.id, key);
        await beforeCommit(orgRow!);
        return { org: orgRow!, key: keyRow };
      });
    },

    async workingKey(id: string): Promise<VerifiedKeyRow | undefined> {
      const [row] = await sql<VerifiedKeyRow[]>`
        select k.*, o.events_per_minute from auth.keys k join auth.orgs o on o.id = k.org_id where k.id = ${id} and ${working()}`;
      return row;
    },

    /** Undefined when there is no such org. */
    async updatePlan(id: string, plan: { plan: string; eventsPerMinute: number }, beforeCommit: BeforeCommit<OrgRow>) {
      return sql.begin(async (tx) => {
        const [row] = await tx<OrgRow[]>`
          update auth.orgs set plan = ${plan.plan}, events_per_minute = ${plan.eventsPerMinute} where id = ${id} returning *`;
        if (!row) return undefined;
        // Every cached verdict on the org's keys carries its limit: every process must ask again.
        await announceKeyChange(tx, id, "");
        await beforeCommit(row);
        return row;
      });
    },

    async createKey(orgId: string, key: KeyToStore, beforeCommit: BeforeCommit<KeyRow>): Promise<KeyRow> {
      return sql.begin(async (tx) => {
        await lockOrgKeys(tx, orgId);
        await requireRoom(tx, orgId);
        const row = await insertKey(tx, orgId, key);
        await beforeCommit(row);
        return row;
      });
    },

    /** The org and one of its keys that still works; undefined when there is no such key. */
    async orgKey(orgId: string, keyId: string): Promise<{ org: OrgRow; key: KeyRow } | undefined> {
      const [[org], [key]] = await Promise.all([
        sql<OrgRow[]>`select * from auth.orgs where id = ${orgId}`,
        sql<KeyRow[]>`select * from auth.keys where id = ${keyId} and org_id = ${orgId} and ${working()}`,
      ]);
      return org && key ? { org, key } : undefined;
    },

    async listKeys(orgId: string): Promise<KeyRow[]> {
      return sql<KeyRow[]>`select * from auth.keys where org_id = ${orgId} and ${working()} order by created_at desc, id`;
    },

    /**
     * Stores the successor, with the old key's name, scopes and allowlist, and sets the old key's end; a grace of 0
     * revokes it at once. Returns both.
     */
    async rotateKey(
      orgId: string,
      id: string,
      successor: Pick<KeyToStore, "id" | "environment" | "secretHash">,
      graceSeconds: number,
      beforeCommit: BeforeCommit<KeyRow>,
    ) {
      return sql.begin(async (tx) => {
        await lockOrgKeys(tx, orgId);
        const old = await orgKey(tx, orgId, id);
        if (old.expires_at) throw new PreconditionFailed("this key was rotated already: rotate the key that replaced it");
        // Without a grace period the old key ends at once, and the org holds no more keys than before.
        if (graceSeconds > 0) await requireRoom(tx, orgId);
        const created = await insertKey(tx, orgId, { ...successor, name: old.name, scopes: old.scopes, allowedCidrs: old.allowed_cidrs });
        const [rotated] = await tx<KeyRow[]>`
          update auth.keys set expires_at = now() + ${graceSeconds} * interval '1 second', replaced_by = ${created.id},
            revoked_at = case when ${graceSeconds} = 0 then now() end
          where id = ${id} returning *`;
        await announceKeyChange(tx, orgId, id);
        await beforeCommit(created);
        return { created, rotated: rotated! };
      });
    },

    /** Revokes a working key; refuses to revoke the org's last working admin key, which would lock the org out. */
    async revokeKey(orgId: string, id: string, beforeCommit: BeforeCommit<KeyRow>): Promise<void> {
      await sql.begin(async (tx) => {
        await lockOrgKeys(tx, orgId);
        const key = await orgKey(tx, orgId, id);
        if (key.scopes.includes("admin")) {
          const [other] = await tx`
            select 1 from auth.keys where org_id = ${orgId} and id <> ${id} and ${working()} and expires_at is null
              and 'admin' = any (scopes) limit 1`;
          if (!other) throw new PreconditionFailed("this is the org's last admin key: create another admin key before revoking it");
        }
        await tx`update auth.keys set revoked_at = now() where id = ${id}`;
        await announceKeyChange(tx, orgId, id);
        await beforeCommit(key);
      });
    },

    /** Deletes the audit entries older than days; returns how many. */
    async pruneAuditEntries(days: number): Promise<number> {
      const rows = await sql`delete from auth.audit_entries where at < now() - make_interval(days => ${days}) returning id`;
      return rows.length;
    },

    /** Keeps entries of the audit stream; an entry read twice is kept once. */
    async addAuditEntry(entry: AuditRow): Promise<void> {
      await sql`insert into auth.audit_entries ${sql(entry)} on conflict (id) do nothing`;
    },

    /** An org's entries, newest first, after the cursor's; one more than the limit, to tell whether a page follows. */
    async listAuditEntries(orgId: string, query: { limit: number; before: string | undefined; action: string }): Promise<AuditRow[]> {
      return sql<AuditRow[]>`
        select * from auth.audit_entries
        where org_id = ${orgId}
          and (${query.before ?? null}::uuid is null or id < ${query.before ?? null})
          and (${query.action} = '' or action = ${query.action})
        order by id desc
        limit ${query.limit + 1}`;
    },

    /** Records when keys were last used (ms since the epoch, by key id); reports may arrive late and out of order. */
    async recordUses(uses: Map<string, number>): Promise<void> {
      if (uses.size === 0) return;
      await sql`
        update auth.keys k set last_used_at = greatest(k.last_used_at, to_timestamp(u.ms / 1000.0))
        from unnest(${[...uses.keys()]}::text[], ${[...uses.values()]}::float8[]) as u (id, ms)
        where k.id = u.id`;
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;

// Changes to an org's keys are made one at a time: two revocations at once could otherwise leave it no admin key.
async function lockOrgKeys(tx: Transaction, orgId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext(${`auth.keys:${orgId}`}))`;
}

async function insertKey(tx: Transaction, orgId: string, key: KeyToStore): Promise<KeyRow> {
  const [row] = await tx<KeyRow[]>`
    insert into auth.keys (id, org_id, environment, secret_hash, name, scopes, allowed_cidrs)
    values (${key.id}, ${orgId}, ${key.environment}, ${key.secretHash}, ${key.name}, ${key.scopes}, ${key.allowedCidrs})
    returning *`;
  return row!;
}

/**
 * Tells every process that checks keys to drop what it holds of the key (of every key of the org, for ""), through the
 * outbox: the announcement exists exactly when the change does, whatever happens to this process after it commits.
 */
function announceKeyChange(tx: Transaction, orgId: string, keyId: string): Promise<void> {
  return writeOutbox(tx, "auth", [{ subject: keyChangedSubject(orgId), data: Buffer.from(keyId) }]);
}
