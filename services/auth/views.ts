// How auth's rows look to clients: orgs, and keys with their prefix but never their hash.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ApiKeySchema, OrgSchema } from "../../gen/triggers/v1/auth_pb.js";
import { type KeyEnvironment, keyPrefix } from "../shared/api-key.js";
import type { KeyRow, OrgRow } from "./store.js";

export function orgView(row: OrgRow): MessageInitShape<typeof OrgSchema> {
  return { id: row.id, name: row.name, createdAt: timestampFromDate(row.created_at) };
}

/** A key as listed; the secret only when it was just issued. */
export function keyView(row: KeyRow, secret = ""): MessageInitShape<typeof ApiKeySchema> {
  return {
    id: row.id,
    orgId: row.org_id,
    secret,
    name: row.name,
    scopes: row.scopes,
    prefix: keyPrefix(row.environment as KeyEnvironment, row.id),
    allowedCidrs: row.allowed_cidrs,
    createdAt: timestampFromDate(row.created_at),
    lastUsedAt: row.last_used_at ? timestampFromDate(row.last_used_at) : undefined,
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
  };
}
