// Writes admin actions to the audit stream: who did what to which resource, when, and from where.
import { create, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { JetStreamClient } from "nats";
import { v7 as uuidv7 } from "uuid";
import { AuditEntrySchema } from "../../gen/triggers/v1/auth_pb.js";
import { clientAddressOf, currentRequestId } from "./request-context.js";
import { auditSubject } from "./streams.js";

export interface AuditAction {
  orgId: string;
  /** The API key that did it; empty for the operator's admin token. */
  keyId: string;
  action: string;
  resource: string;
  resourceId: string;
  /** What changed, never a secret. */
  details?: JsonObject;
}

/** Records an action; resolves once JetStream holds it. */
export type RecordAudit = (ctx: HandlerContext, action: AuditAction) => Promise<void>;

/**
 * Callers record an action inside the transaction that makes it, before it commits: a failed write then undoes
 * the action, so that no change goes unrecorded. (A commit failing after the write leaves an entry for a change
 * that did not happen, the lesser fault in an audit log.)
 */
export function auditLog(js: JetStreamClient): RecordAudit {
  return async (ctx, { orgId, keyId, action, resource, resourceId, details = {} }) => {
    const entry = create(AuditEntrySchema, {
      id: uuidv7(),
      orgId,
      action,
      resource,
      resourceId,
      keyId,
      clientAddress: clientAddressOf(ctx),
      requestId: currentRequestId() ?? "",
      at: timestampNow(),
      details,
    });
    await js.publish(auditSubject(orgId), toBinary(AuditEntrySchema, entry), { msgID: entry.id });
  };
}
