// Tells delivery, over the expired events stream, which of an org's events the inbox no longer keeps.
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExpiredEventsSchema } from "../../gen/triggers/v1/event_pb.js";
import type { OutboxMessage } from "../shared/outbox.js";
import { expiredEventsSubject } from "../shared/streams.js";

export function expiredEventsMessage(orgId: string, eventIds: string[]): OutboxMessage {
  const message = create(ExpiredEventsSchema, { orgId, eventIds });
  return { subject: expiredEventsSubject(orgId), data: toBinary(ExpiredEventsSchema, message), messageId: randomUUID() };
}
