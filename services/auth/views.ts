// How auth's rows look to clients: orgs, keys with their prefix but never their hash, and audit entries.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ApiKeySchema, AuditEntrySchema, OrgSchema } from "../../gen/triggers/v1/auth_pb.js";
import { type KeyEnvironment, keyPrefix } from "../shared/api-key.js";
import type { AuditRow, KeyRow, OrgRow } from "./store.js";

export function orgView(row: OrgRow): MessageInitShape<typeof OrgSchema> {
  return {
    id: row.id,
    name: row.name,
    plan: row.plan,
    eventsPerMinute: row.events_per_minute,
    createdAt: timestampFromDate(row.created_at),
  };
}

/** A key as listed; the secret only when it was just issued, and otherwise absent, not empty. */
export function keyView(row: KeyRow, issuedKey?: string): MessageInitShape<typeof ApiKeySchema> {
  return {
    id: row.id,
    orgId: row.org_id,
    secret: issuedKey,
    name: row.name,
    scopes: row.scopes,
    prefix: keyPrefix(row.environment as KeyEnvironment, row.id),
    allowedCidrs: row.allowed_cidrs,
    createdAt: timestampFromDate(row.created_at),
    lastUsedAt: row.last_used_at ? timestampFromDate(row.last_used_at) : undefined,
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
  };
}

export function auditEntryView(row: AuditRow): MessageInitShape<typeof AuditEntrySchema> {
  return {
    id: row.id,
    orgId: row.org_id,
    action: row.action,
    resource: row.resource,
    resourceId: row.resource_id,
    keyId: row.key_id,
    clientAddress: row.client_address,
    requestId: row.request_id,
    at: timestampFromDate(row.at),
    details: row.details,
  };
}
