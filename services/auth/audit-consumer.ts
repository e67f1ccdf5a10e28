// Reads the audit stream into auth's store, where an org's audit log is listed from.
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { JetStreamClient, JsMsg } from "nats";
import { type AuditEntry, AuditEntrySchema } from "../../gen/triggers/v1/auth_pb.js";
import { isDependencyDown } from "../shared/dependency-errors.js";
import { isUuid } from "../shared/ids.js";
import type { Logger } from "../shared/logger.js";
import { readStream, type StreamReader } from "../shared/stream-reader.js";
import { auditStream, consumers } from "../shared/streams.js";
import type { AuditRow, AuthStore } from "./store.js";

// After a failed write the entry comes back after this long, so that an outage is not a busy loop.
const retryDelayMs = 1_000;

export function startAuditConsumer(js: JetStreamClient, store: AuthStore, logger: Logger): Promise<StreamReader> {
  async function handle(msg: JsMsg): Promise<void> {
    const row = readable(msg);
    if (!row) {
      logger.error({ stream_seq: msg.seq }, "unreadable audit entry terminated");
      return msg.term();
    }
    try {
      await store.addAuditEntry(row);
      msg.ack();
    } catch (err) {
      if (!isDependencyDown(err)) {
        // Not an outage: the entry itself is at fault, and would fail the same way for ever.
        logger.error({ err, stream_seq: msg.seq }, "an audit entry the store refuses was terminated");
        return msg.term();
      }
      logger.warn({ err }, "store unavailable; the audit entry will be redelivered");
      msg.nak(retryDelayMs);
    }
  }

  return readStream(js, auditStream.name, consumers.authAudit.durable_name!, handle);
}

function readable(msg: JsMsg): AuditRow | undefined {
  let entry: AuditEntry;
  try {
    entry = fromBinary(AuditEntrySchema, msg.data);
  } catch {
    return undefined;
  }
  if (!entry.at || !isUuid(entry.id) || !isUuid(entry.orgId)) return undefined;
  return {
    id: entry.id,
    org_id: entry.orgId,
    action: entry.action,
    resource: entry.resource,
    resource_id: entry.resourceId,
    key_id: entry.keyId,
    client_address: entry.clientAddress,
    request_id: entry.requestId,
    at: timestampDate(entry.at),
    details: entry.details ?? {},
  };
}
