// The auth service's tables: orgs and the hashes of their keys.
import type { Sql } from "../shared/database.js";

export interface OrgRow {
  id: string;
  name: string;
  created_at: Date;
}

export interface KeyRow {
  id: string;
  org_id: string;
  secret_hash: string;
  created_at: Date;
}

export function createAuthStore(sql: Sql) {
  return {
    async createOrg(org: { id: string; name: string }, key: { id: string; secretHash: string }) {
      return sql.begin(async (tx) => {
        const [orgRow] = await tx<OrgRow[]>`insert into auth.orgs (id, name) values (${org.id}, ${org.name}) returning *`;
        const [keyRow] = await tx<KeyRow[]>`
          insert into auth.keys (id, org_id, secret_hash) values (${key.id}, ${org.id}, ${key.secretHash}) returning *`;
        return { org: orgRow!, key: keyRow! };
      });
    },

    async activeKey(id: string): Promise<KeyRow | undefined> {
      const [row] = await sql<KeyRow[]>`select * from auth.keys where id = ${id} and revoked_at is null`;
      return row;
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
