// The auth store in memory, for route tests: orgs and the hashes of their keys.
import type { AuthStore, KeyRow, OrgRow } from "../../services/auth/store.js";

export class MemoryAuthStore implements AuthStore {
  readonly orgs: OrgRow[] = [];
  readonly keys: KeyRow[] = [];

  async createOrg(org: { id: string; name: string }, key: { id: string; secretHash: string }) {
    const orgRow = { ...org, created_at: new Date() };
    const keyRow = { id: key.id, org_id: org.id, secret_hash: key.secretHash, created_at: new Date() };
    this.orgs.push(orgRow);
    this.keys.push(keyRow);
    return { org: orgRow, key: keyRow };
  }

  async activeKey(id: string): Promise<KeyRow | undefined> {
    return this.keys.find((row) => row.id === id);
  }
}
