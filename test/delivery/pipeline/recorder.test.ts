// The recorder over the in-memory store: attempts written many to a statement, a failed write told to its callers only,
// failures in a row counted from the last success, and what was settled told once it is recorded.
import test from "ava";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { AttemptRecord, RecordedAttempts } from "../../../services/delivery/deliveries.js";
import { createAttemptMetrics } from "../../../services/delivery/pipeline/attempt-metrics.js";
import { createRecorder } from "../../../services/delivery/pipeline/recorder.js";
import { MemoryDeliveryStore } from "../memory-store.js";
import { firstAttempt, subscription } from "./fixtures.js";

function recorderWith() {
  const store = new MemoryDeliveryStore();
  const sub = subscription(store);
  const told: RecordedAttempts[] = [];
  const notices = {
    messagesOf: () => [],
    recorded: async (recorded: RecordedAttempts, _batch: AttemptRecord[]) => void told.push(recorded),
  };
  const metrics = createAttemptMetrics(new Registry());
  const recorder = createRecorder({ deliveries: store, metrics, notices, logger: pino({ level: "silent" }) });
  return { store, sub, told, recorder };
}

test("recorder - attempts that finish while a write runs share the next statement, each group whole", async (t) => {
  const { store, sub, recorder } = recorderWith();
  const groups = [[firstAttempt(sub, true)], [firstAttempt(sub, true), firstAttempt(sub, true)], [firstAttempt(sub, true)]];
  await Promise.all(groups.map((group) => recorder.record(group)));
  t.deepEqual(store.calls, ["recordAttempts", "recordAttempts"]);
  t.is(store.attempts.length, 4);
  t.true([...store.deliveries.values()].every((d) => d.state === "succeeded" && d.attempt_count === 1));
});

test("recorder - a first attempt to be retried leaves its delivery due at the retry; every first attempt keeps its body", async (t) => {
  const { store, sub, recorder } = recorderWith();
  const [failed, succeeded] = [firstAttempt(sub, false), firstAttempt(sub, true)];
  await recorder.record([failed, succeeded]);
  const retried = store.deliveries.get(failed.delivery.id)!;
  t.is(retried.state, "pending");
  t.true(retried.next_attempt_at!.getTime() > Date.now() + 50_000);
  t.true(store.messages.has(failed.delivery.eventId));
  t.true(store.messages.has(succeeded.delivery.eventId), "a retry by hand or a replay sends it again");
});

test("recorder - a write that fails rejects its groups only, and the next groups are written", async (t) => {
  const { store, sub, recorder, told } = recorderWith();
  store.failNext = new Error("connection lost");
  await t.throwsAsync(recorder.record([firstAttempt(sub, true)]), { message: "connection lost" });
  await recorder.record([firstAttempt(sub, true)]);
  t.is(store.attempts.length, 1);
  t.is(told.length, 1, "nothing is told of what was not recorded");
});

test("recorder - failures in a row count from the subscription's last success", async (t) => {
  const { sub, recorder, told } = recorderWith();
  await recorder.record([firstAttempt(sub, false), firstAttempt(sub, false)]);
  t.deepEqual(told.at(-1)!.failuresInARow, [{ id: sub.id, consecutive_failures: 2 }]);
  await recorder.record([firstAttempt(sub, false), firstAttempt(sub, true), firstAttempt(sub, false)]);
  t.deepEqual(told.at(-1)!.failuresInARow, [{ id: sub.id, consecutive_failures: 1 }]);
});

test("recorder - an event's outcome is told once all its deliveries have ended, and an event read twice is recorded once", async (t) => {
  const { store, sub, recorder, told } = recorderWith();
  const first = firstAttempt(sub, true);
  await recorder.record([first]);
  t.like(told.at(-1)!.outcomes, [{ event_id: first.delivery.eventId, status: "delivered" }]);
  await recorder.record([firstAttempt(sub, true, first.delivery.eventId)]);
  t.deepEqual(told.at(-1)!.settled, []);
  t.is(store.attempts.length, 1);
});
