// Single events of an org share stream writes: the first goes at once, those arriving meanwhile ride the next write.
import { create } from "@bufbuild/protobuf";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import type { PublishedEvent } from "../../../services/shared/published-events.js";
import { OrgQueues } from "../../../services/shared/publishing/org-queues.js";
import type { EventPublisher, StoredEvent } from "../../../services/shared/publishing/publisher.js";

/** A publisher whose writes wait until released, recording each write's org and events. */
function heldPublisher() {
  const writes: { orgId: string; types: string[]; release(failure?: Error): void }[] = [];
  const publisher: EventPublisher = {
    publish: (orgId, events) =>
      new Promise((resolve) => {
        const release = (failure?: Error) =>
          resolve(
            events.map(
              (published): PromiseSettledResult<StoredEvent> =>
                failure || published.event.type === "refused"
                  ? { status: "rejected", reason: failure ?? new Error("refused") }
                  : { status: "fulfilled", value: { event: published.event, duplicate: false } },
            ),
          );
        writes.push({ orgId, types: events.map((e) => e.event.type), release });
      }),
  };
  return { publisher, writes };
}

function event(type: string): PublishedEvent {
  return { event: create(EventSchema, { id: uuidv7(), type }), data: "{}", requestId: "" };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

test("org queues - a lone event is written at once; those arriving during its write share the next one", async (t) => {
  const { publisher, writes } = heldPublisher();
  const queues = new OrgQueues(publisher);
  const first = queues.publish("org-a", event("one"));
  await settled();
  t.deepEqual(
    writes.map((w) => w.types),
    [["one"]],
  );
  const later = [queues.publish("org-a", event("two")), queues.publish("org-a", event("three"))];
  await settled();
  t.is(writes.length, 1, "one write in flight per org");
  writes[0]!.release();
  t.is((await first).event.type, "one");
  await settled();
  t.deepEqual(writes[1]!.types, ["two", "three"]);
  writes[1]!.release();
  t.deepEqual(
    (await Promise.all(later)).map((stored) => stored.event.type),
    ["two", "three"],
  );
});

test("org queues - orgs never share a write, and one org's slow write holds up no other org", async (t) => {
  const { publisher, writes } = heldPublisher();
  const queues = new OrgQueues(publisher);
  void queues.publish("org-a", event("a"));
  const b = queues.publish("org-b", event("b"));
  await settled();
  t.deepEqual(
    writes.map((w) => w.orgId),
    ["org-a", "org-b"],
  );
  writes[1]!.release();
  t.is((await b).event.type, "b");
});

test("org queues - each event gets its own outcome, and a failed write fails only its own events", async (t) => {
  const { publisher, writes } = heldPublisher();
  const queues = new OrgQueues(publisher);
  const first = queues.publish("org-a", event("one"));
  await settled();
  const refused = queues.publish("org-a", event("refused"));
  const kept = queues.publish("org-a", event("kept"));
  writes[0]!.release(new Error("the stream is down"));
  await t.throwsAsync(first, { message: "the stream is down" });
  await settled();
  writes[1]!.release();
  await t.throwsAsync(refused, { message: "refused" });
  t.is((await kept).event.type, "kept");
});
