// Fairness: attempts run at most so many per subscription and in total, and a full lane takes no slot from the others.
import test from "ava";
import { Lanes } from "../../../services/delivery/pipeline/lanes.js";

function held() {
  const releases: (() => void)[] = [];
  return {
    releases,
    task: () => new Promise<void>((resolve) => releases.push(resolve)),
  };
}

test("lanes - a subscription runs at most its share at once; the rest wait without taking the total's slots", async (t) => {
  const lanes = new Lanes(4, 2);
  const slow = held();
  const fast = held();
  const slowRuns = Array.from({ length: 5 }, () => lanes.run("slow", slow.task));
  await new Promise((resolve) => setImmediate(resolve));
  t.is(slow.releases.length, 2);
  t.is(lanes.load("slow"), 5);
  t.deepEqual(lanes.full(), ["slow"]);
  t.is(lanes.free(), 2);

  const fastRuns = [lanes.run("fast", fast.task), lanes.run("fast", fast.task)];
  await new Promise((resolve) => setImmediate(resolve));
  t.is(fast.releases.length, 2, "the other subscription still got its share");
  t.is(lanes.free(), 0);
  for (const release of fast.releases) release();
  await Promise.all(fastRuns);
  t.is(lanes.load("fast"), 0);

  while (slow.releases.length > 0) {
    slow.releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(slowRuns);
  t.deepEqual(lanes.full(), []);
  t.is(lanes.free(), 4);
});
