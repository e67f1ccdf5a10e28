// Text fields holding a NUL character, which Postgres cannot store: refused naming the field, wherever it sits in a
// request; event data and events are left to the event rules.
import { create } from "@bufbuild/protobuf";
import test from "ava";
import { CreateKeyRequestSchema, ListAuditEntriesRequestSchema } from "../../gen/triggers/v1/auth_pb.js";
import { UpdateSubscriptionRequestSchema } from "../../gen/triggers/v1/delivery_pb.js";
import { ListInboxRequestSchema } from "../../gen/triggers/v1/inbox_pb.js";
import { PublishEventsRequestSchema } from "../../gen/triggers/v1/ingest_pb.js";
import { InvalidField } from "../../services/shared/domain-errors.js";
import { requireStorableText } from "../../services/shared/storable-text.js";

const fieldRefused = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof InvalidField)) throw err;
    return err.field;
  }
};

test("storable text - a NUL in a text field is refused naming the field, at any depth and in lists", (t) => {
  const cases = [
    [CreateKeyRequestSchema, create(CreateKeyRequestSchema, { name: "a\u0000b", scopes: ["admin"] }), "name"],
    [CreateKeyRequestSchema, create(CreateKeyRequestSchema, { name: "ok", allowedCidrs: ["10.0.0.0/8", "\u0000"] }), "allowed_cidrs[1]"],
    [ListAuditEntriesRequestSchema, create(ListAuditEntriesRequestSchema, { action: "key.revoked\u0000" }), "action"],
    [ListInboxRequestSchema, create(ListInboxRequestSchema, { source: "\u0000" }), "source"],
    [
      UpdateSubscriptionRequestSchema,
      create(UpdateSubscriptionRequestSchema, { id: "sub", subscription: { description: "x\u0000" } }),
      "subscription.description",
    ],
  ] as const;
  for (const [schema, message, field] of cases)
    t.is(
      fieldRefused(() => requireStorableText(schema, message)),
      field,
    );
});

test("storable text - text without NUL, odd as it may be, is taken", (t) => {
  const message = create(CreateKeyRequestSchema, { name: "\u0001 \ud800 😀 \\u0000 %00", scopes: ["admin"] });
  t.is(
    fieldRefused(() => requireStorableText(CreateKeyRequestSchema, message)),
    undefined,
  );
});

test("storable text - events, their data included, are left to the event rules, which refuse each on its own in a batch", (t) => {
  const message = create(PublishEventsRequestSchema, { events: [{ type: "a", source: "\u0000", data: { k: "\u0000" } }] });
  t.is(
    fieldRefused(() => requireStorableText(PublishEventsRequestSchema, message)),
    undefined,
  );
});
