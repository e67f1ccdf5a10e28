// The rules of a ListInbox request: filters, order, wait and lease, and the field named when one is wrong.
import { create } from "@bufbuild/protobuf";
import test from "ava";
import { ListInboxRequestSchema } from "../../gen/triggers/v1/inbox_pb.js";
import { inboxQueryOf } from "../../services/inbox/inbox-query.js";
import { InvalidField } from "../../services/shared/domain-errors.js";

const query = (fields: Parameters<typeof create<typeof ListInboxRequestSchema>>[1]) => inboxQueryOf(create(ListInboxRequestSchema, fields));

test("inbox query - without filters, the first 100 pending events, oldest first, at once and without a lease", (t) => {
  t.like(query({}), { limit: 100, direction: "asc", status: "pending", type: undefined, waitMs: 0, leaseSeconds: 0 });
});

test("inbox query - a type ending in .* is a prefix, any other an exact type", (t) => {
  t.deepEqual(query({ type: "order.*" }).type, { prefix: "order." });
  t.deepEqual(query({ type: "order.created" }).type, { exact: "order.created" });
});

test("inbox query - each unacceptable value is an invalid field naming it", (t) => {
  const cases: [Parameters<typeof query>[0], string][] = [
    [{ limit: 1001 }, "limit"],
    [{ order: "up" }, "order"],
    [{ status: "new" }, "status"],
    [{ type: "*" }, "type"],
    [{ wait: 31 }, "wait"],
    [{ lease: -1 }, "lease"],
    [{ lease: 5, status: "delivered" }, "lease"],
    [{ since: { seconds: 10n ** 15n } }, "since"],
    [{ since: { seconds: 200n }, until: { seconds: 100n } }, "until"],
  ];
  for (const [fields, field] of cases) {
    const err = t.throws(() => query(fields), { instanceOf: InvalidField });
    t.is(
      err?.field,
      field,
      JSON.stringify(fields, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
    );
  }
});
