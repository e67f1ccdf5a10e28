// The dispatcher over the in-memory store: which deliveries leave straight from a message, which are written first, and
// which are left for any worker.
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { createDispatcher } from "../../../services/delivery/pipeline/dispatcher.js";
import { Lanes } from "../../../services/delivery/pipeline/lanes.js";
import { MemoryDeliveryStore } from "../memory-store.js";
import { cacheOf, published, subscription } from "./fixtures.js";

function dispatcherWith(state: Parameters<typeof subscription>[1] = "active", eventTypes: string[] = []) {
  const store = new MemoryDeliveryStore();
  const sub = subscription(store, state, eventTypes);
  const lanes = new Lanes(32, 2);
  const dispatcher = createDispatcher({ store, cache: cacheOf([sub]), lanes });
  return { store, sub, lanes, dispatcher, orgId: uuidv7() };
}

test("dispatcher - a fresh message's deliveries leave straight from it, and nothing is written before their attempts", async (t) => {
  const { store, sub, dispatcher, orgId } = dispatcherWith();
  const event = published();
  const { first, stored } = await dispatcher.accept(orgId, [event], true);
  t.like(first, [{ eventId: event.event.id, subscriptionId: sub.id, stored: false, attemptCount: 0, url: sub.url }]);
  t.regex(first[0]!.body, /"type":"order.created"/);
  t.deepEqual(stored, []);
  t.deepEqual(store.calls, []);
});

test("dispatcher - an old or redelivered message's deliveries are written first and held by this worker, once", async (t) => {
  const { store, sub, dispatcher, orgId } = dispatcherWith();
  const event = published();
  const { first, stored } = await dispatcher.accept(orgId, [event], false);
  t.deepEqual(first, []);
  t.like(stored, [{ eventId: event.event.id, subscriptionId: sub.id, stored: true }]);
  t.is(store.deliveries.get(stored[0]!.id)!.state, "pending");
  t.true(store.messages.has(event.event.id), "the body is kept for the attempts to come");

  const again = await dispatcher.accept(orgId, [event], false);
  t.deepEqual(again, { first: [], stored: [] }, "read again, the event makes no second delivery");
  t.is(store.deliveries.size, 1);
});

test("dispatcher - a paused subscription's deliveries are written parked, and none is sent", async (t) => {
  const { store, dispatcher, orgId } = dispatcherWith("paused");
  const { first, stored } = await dispatcher.accept(orgId, [published()], true);
  t.deepEqual([first, stored], [[], []]);
  const [parked] = [...store.deliveries.values()];
  t.is(parked!.state, "pending");
  t.true(parked!.next_attempt_at!.getTime() > Date.now() + 1e12, "due never, until the subscription is enabled");
});

test("dispatcher - past four rounds of a lane, deliveries are left due for any worker and the lane's room is awaited", async (t) => {
  const { store, dispatcher, lanes, orgId } = dispatcherWith();
  let woken = 0;
  lanes.onRoom(() => woken++);
  // Four rounds of a lane of 2: 8 leave with the message, the other 2 wait in Postgres for any worker.
  const { first, stored } = await dispatcher.accept(
    orgId,
    Array.from({ length: 10 }, () => published()),
    true,
  );
  t.is(first.length, 8);
  t.deepEqual(stored, []);
  const due = [...store.deliveries.values()];
  t.is(due.length, 2);
  t.true(due.every((d) => d.next_attempt_at!.getTime() <= Date.now()));
  await lanes.run(first[0]!.subscriptionId, async () => {});
  t.is(woken, 1);
});

test("dispatcher - an event of a type the subscription does not want makes no delivery", async (t) => {
  const { store, dispatcher, orgId } = dispatcherWith("active", ["invoice.*"]);
  t.deepEqual(await dispatcher.accept(orgId, [published("order.created")], true), { first: [], stored: [] });
  const wanted = await dispatcher.accept(orgId, [published("invoice.paid")], true);
  t.is(wanted.first.length, 1);
  t.is(store.deliveries.size, 0);
});

test("dispatcher - an event with any delivery written first has all of them written first, so its outcome waits for all", async (t) => {
  const store = new MemoryDeliveryStore();
  const [busy, idle] = [subscription(store), subscription(store)];
  const lanes = new Lanes(32, 2);
  const dispatcher = createDispatcher({ store, cache: cacheOf([busy, idle]), lanes });
  // Four rounds of the busy subscription's lane of 2 are queued already: its next delivery is left due.
  const release: (() => void)[] = [];
  for (let i = 0; i < 8; i++) void lanes.run(busy.id, () => new Promise<void>((resolve) => release.push(resolve)));
  t.teardown(() => {
    for (const done of release) done();
  });
  const { first, stored } = await dispatcher.accept(uuidv7(), [published()], true);
  t.deepEqual(first, []);
  t.like(stored, [{ subscriptionId: idle.id, stored: true }]);
  t.is(store.deliveries.size, 2);
});
