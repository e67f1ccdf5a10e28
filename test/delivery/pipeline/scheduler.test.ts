// The scheduler over the in-memory store: due deliveries taken as the lanes have room, a lane's room waking it at once,
// and a failed take tried again at the next poll.
import test from "ava";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import type { TakenDelivery } from "../../../services/delivery/deliveries.js";
import { Lanes } from "../../../services/delivery/pipeline/lanes.js";
import { startScheduler } from "../../../services/delivery/pipeline/scheduler.js";
import { eventually } from "../../helpers/eventually.js";
import { MemoryDeliveryStore } from "../memory-store.js";
import { subscription } from "./fixtures.js";

/** A store with `count` deliveries due now to one subscription, and a sender that holds each attempt until let go. */
async function schedulerWith(count: number, pollIntervalMs: number, firstTakeFails = false) {
  const store = new MemoryDeliveryStore();
  const sub = subscription(store);
  const orgId = uuidv7();
  const events = Array.from({ length: count }, () => ({ eventId: uuidv7(), orgId, body: "{}", requestId: "" }));
  const deliveries = events.map(({ eventId }) => ({ id: uuidv7(), orgId, eventId, eventType: "t", subscriptionId: sub.id, dueInMs: 0 }));
  await store.addDeliveries(events, deliveries);
  if (firstTakeFails) store.failNext = new Error("connection lost");
  const lanes = new Lanes(10, 2);
  const sent: TakenDelivery[] = [];
  const held: (() => void)[] = [];
  const sender = {
    send: (taken: TakenDelivery[]) => {
      for (const delivery of taken) {
        sent.push(delivery);
        void lanes.run(delivery.subscriptionId, () => new Promise<void>((resolve) => held.push(resolve)));
      }
    },
  };
  const scheduler = startScheduler({ store, lanes, sender, logger: pino({ level: "silent" }), pollIntervalMs, leaseMs: 60_000 });
  return { store, sent, held, scheduler };
}

test("scheduler - due deliveries are taken as their lane has room, and a lane's room takes the next at once", async (t) => {
  const { sent, held, scheduler } = await schedulerWith(5, 60_000);
  t.teardown(() => scheduler.stop());
  await eventually(() => (sent.length === 2 ? true : undefined));
  held.shift()!();
  // Long before the next poll: the lane's room woke the scheduler.
  await eventually(() => (sent.length > 2 ? true : undefined));
  t.is(new Set(sent.map((d) => d.id)).size, sent.length);
  t.true(sent.every((d) => d.stored));
});

test("scheduler - a take that fails is tried again at the next poll", async (t) => {
  const { store, sent, scheduler } = await schedulerWith(1, 20, true);
  t.teardown(() => scheduler.stop());
  await eventually(() => (sent.length === 1 ? true : undefined));
  t.true(store.calls.filter((call) => call === "takeDue").length >= 2);
});
