// Checks a presented key against its stored hash: the answer auth gives every service, and what its own key checks ask.
import { Code, ConnectError } from "@connectrpc/connect";
import { type KeyEnvironment, parseKey } from "../shared/api-key.js";
import type { AskAuth } from "../shared/authenticate.js";
import { secretMatches } from "./keys.js";
import type { AuthStore } from "./store.js";

/** Refuses malformed keys, keys of another environment, and unknown, revoked or expired ones alike. */
export function verifyWithStore(store: AuthStore, environment: KeyEnvironment): AskAuth {
  return async (key) => {
    const parsed = parseKey(key);
    // A key of another deployment (a test key sent to production) is refused before any lookup.
    const row = parsed?.environment === environment ? await store.workingKey(parsed.id) : undefined;
    if (!parsed || !row || !(await secretMatches(row.secret_hash, parsed.secret))) {
      throw new ConnectError("unknown API key", Code.Unauthenticated);
    }
    return {
      caller: {
        orgId: row.org_id,
        keyId: row.id,
        scopes: row.scopes,
        allowedCidrs: row.allowed_cidrs,
        eventsPerMinute: row.events_per_minute,
      },
      expiresAt: row.expires_at?.getTime(),
    };
  };
}
