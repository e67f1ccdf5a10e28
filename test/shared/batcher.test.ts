// Group writes: what arrives while one write runs goes into the next, each item gets its own batch's result or error.
import test from "ava";
import { Batcher } from "../../services/shared/batcher.js";

test("batcher - items added during a write wait for the next one, which takes them all, up to the limit", async (t) => {
  const writes: number[][] = [];
  const batcher = new Batcher(async (items: number[]) => {
    writes.push(items);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return items.length;
  }, 3);
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => batcher.add(n)));
  t.deepEqual(writes, [[1], [2, 3, 4], [5, 6]]);
  t.deepEqual(results, [1, 3, 3, 3, 2, 2]);
});

test("batcher - a failed write rejects the items of its batch only, and the next batch is written", async (t) => {
  const batcher = new Batcher(async (items: string[]) => {
    if (items.includes("bad")) throw new Error("refused");
    return "ok";
  }, 10);
  const first = batcher.add("bad");
  const second = batcher.add("good");
  await t.throwsAsync(first, { message: "refused" });
  t.is(await second, "ok");
});

test("batcher - it is idle only when nothing waits and no write is under way", async (t) => {
  let release = () => {};
  const batcher = new Batcher((items: number[]) => new Promise<number>((resolve) => (release = () => resolve(items.length))), 10);
  t.true(batcher.idle);
  const first = batcher.add(1);
  t.false(batcher.idle);
  await new Promise((resolve) => setImmediate(resolve));
  release();
  t.is(await first, 1);
  t.true(batcher.idle);
});
