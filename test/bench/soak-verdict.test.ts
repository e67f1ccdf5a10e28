// The soak's verdict on synthetic series: growth after warm-up per process, lag bounds, events lost and undelivered.
import test from "ava";
import { accountForEvents } from "../../bench/soak/event-account.js";
import { type FlatRule, growthOf, growthsOf, median, type ProcessSeries, seriesOf } from "../../bench/soak/growth.js";
import { killTimes } from "../../bench/soak/kills.js";
import { judgeLag } from "../../bench/soak/lag.js";
import type { Kill, Sample } from "../../bench/soak/samples.js";
import { judge, rulesFor, type VerdictInput } from "../../bench/soak/verdict.js";

const rule: FlatRule = {
  warmupSeconds: 60,
  minJudgedSeconds: 300,
  windowShare: 0.1,
  minWindowReadings: 5,
  maxGrowth: 0.1,
};

/** A reading every 5 s from `from` to `to` seconds. */
function series(value: (t: number) => number, from = 0, to = 1800, metric: ProcessSeries["metric"] = "rss"): ProcessSeries {
  const points = [];
  for (let t = from; t <= to; t += 5) points.push({ t, value: value(t) });
  return { service: "inbox", pid: 1, metric, points };
}

const mb = 1024 * 1024;
// A sawtooth between collections, as a heap's used bytes go: flat on the whole.
const sawtooth = (t: number) => 100 * mb + ((t % 60) / 60) * 20 * mb;

test("soak verdict - a series that only saws up and down between collections is flat", (t) => {
  const growth = growthOf(series(sawtooth), rule, 1800);
  t.true(growth.judged && growth.flat, JSON.stringify(growth));
});

test("soak verdict - memory growing a third over the run is a leak", (t) => {
  const growth = growthOf(
    series((s) => 100 * mb * (1 + s / 5400)),
    rule,
    1800,
  );
  t.true(growth.judged);
  if (!growth.judged) return;
  t.false(growth.flat);
  t.true(growth.growth > 0.25 && growth.growth < 0.35, String(growth.growth));
});

test("soak verdict - growth just past the bound fails, just within it passes", (t) => {
  // First 10% of the judged readings at 100, last 10% at 110.5 or 109.5.
  const step = (end: number) => (s: number) => (s < 400 ? 100 : s > 1600 ? end : 105);
  const over = growthOf(series(step(110.5)), rule, 1800);
  const within = growthOf(series(step(109.5)), rule, 1800);
  t.true(over.judged && !over.flat);
  t.true(within.judged && within.flat);
});

test("soak verdict - a restarted process climbing back to its service's level is flat; one climbing past it is a leak", (t) => {
  // The first process ran at 140 MB; its successor starts at 120 and rises to 140, or to 160.
  const first = { ...series(() => 140 * mb, 0, 900), pid: 1 };
  const climbing = (end: number) => ({ ...series((s) => 120 * mb + ((s - 905) / 895) * (end - 120) * mb, 905, 1800), pid: 2 });
  const [, back] = growthsOf([first, climbing(140)], rule, 1800);
  t.true(back!.judged && back!.flat && back!.first === 140 * mb, JSON.stringify(back));
  const [, past] = growthsOf([first, climbing(160)], rule, 1800);
  t.true(past!.judged && !past!.flat, JSON.stringify(past));
  // Judged alone, the same climb back would count as growth.
  const alone = growthOf(climbing(140), rule, 1800);
  t.true(alone.judged && !alone.flat);
});

test("soak verdict - the warm-up's climb is not counted", (t) => {
  // Doubles during its first minute (caches, JIT, pools), then stays.
  const growth = growthOf(
    series((s) => (s < 60 ? 50 * mb + s * mb : 110 * mb)),
    rule,
    1800,
  );
  t.true(growth.judged && growth.flat && growth.first === 110 * mb);
});

test("soak verdict - the drain after publishing is not counted", (t) => {
  // Memory falls when the load stops: judged against the end of publishing, not the idle drain.
  const growth = growthOf(
    series((s) => (s <= 1800 ? 100 * mb + s * 10_000 : 50 * mb), 0, 2100),
    rule,
    1800,
  );
  t.true(growth.judged && !growth.flat);
});

test("soak verdict - a series too short after its warm-up is not judged", (t) => {
  const growth = growthOf(
    series((s) => s * mb, 1500, 1800),
    rule,
    1800,
  );
  t.false(growth.judged);
  t.false(growthOf({ service: "inbox", pid: 1, metric: "rss", points: [] }, rule, 1800).judged);
});

test("soak verdict - a short run judges the processes that ran past their warm-up, over what is left", (t) => {
  const short = rulesFor(3, 200).flat;
  const leaking = growthOf(
    series((s) => 100 * mb + s * mb, 0, 180),
    short,
    180,
  );
  t.true(leaking.judged && !leaking.flat);
  // Restarted a minute in: still warming up when publishing ends.
  t.false(growthOf(series(sawtooth, 60, 180), short, 180).judged);
});

test("soak verdict - a killed service's new process begins a series of its own", (t) => {
  const sample = (time: number, pid: number, rss: number): Sample => ({
    t: time,
    processes: [{ service: "inbox", pid, rssBytes: rss, heapBytes: rss / 2, fds: 30 }],
    lag: {},
    unacknowledged: {},
    rates: { published: 0, delivered: 0, failedAttempts: 0, streamed: 0, acked: 0 },
  });
  const samples = [sample(0, 10, 100), sample(5, 10, 110), sample(10, 11, 50), sample(15, 11, 60)];
  const rss = seriesOf(samples, "rss");
  t.deepEqual(
    rss.map((s) => [s.pid, s.points.map((p) => p.value)]),
    [
      [10, [100, 110]],
      [11, [50, 60]],
    ],
  );
  t.deepEqual(
    seriesOf(samples, "heap").map((s) => s.points.map((p) => p.value)),
    [
      [50, 55],
      [25, 30],
    ],
  );
});

test("soak verdict - medians of odd and even counts", (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
});

const lagSample = (time: number, lag: Record<string, number | undefined>): Sample => ({
  t: time,
  processes: [],
  lag,
  unacknowledged: {},
  rates: { published: 0, delivered: 0, failedAttempts: 0, streamed: 0, acked: 0 },
});

test("soak verdict - lag is bounded when it stays under the bound and is back to the end bound", (t) => {
  const samples = [lagSample(5, { inbox: 3 }), lagSample(10, { inbox: 900 }), lagSample(15, { inbox: undefined })];
  const [finding] = judgeLag(samples, { inbox: 0 }, { max: 1000, endMax: 0 });
  t.like(finding, { consumer: "inbox", peak: 900, peakAt: 10, end: 0, unread: 1, bounded: true });
});

test("soak verdict - lag over the bound once, or not back at the end, or unread at the end, is unbounded", (t) => {
  const rule = { max: 1000, endMax: 0 };
  t.false(judgeLag([lagSample(5, { inbox: 1001 })], { inbox: 0 }, rule)[0]!.bounded);
  t.false(judgeLag([lagSample(5, { inbox: 10 })], { inbox: 1 }, rule)[0]!.bounded);
  t.false(judgeLag([lagSample(5, { inbox: 10 })], { inbox: undefined }, rule)[0]!.bounded);
});

test("soak verdict - events not in the inbox are lost, events never received are undelivered, repeats are counted", (t) => {
  const account = accountForEvents(
    ["a", "b", "c", "d"],
    new Set(["a", "b", "c", "x"]),
    new Map([
      ["a", 1],
      ["b", 3],
      ["d", 2],
    ]),
  );
  t.deepEqual(account, {
    accepted: 4,
    lost: ["d"],
    undelivered: ["c"],
    duplicateDeliveries: 3,
    eventsDeliveredTwice: 2,
    unanswered: 1,
  });
});

test("soak verdict - kills fall every few minutes before the end, none when turned off", (t) => {
  t.deepEqual(killTimes(3, 1), [60, 120]);
  t.deepEqual(killTimes(30, 3), [180, 360, 540, 720, 900, 1080, 1260, 1440, 1620]);
  t.deepEqual(killTimes(30, 0), []);
});

function goodRun(): VerdictInput {
  const samples: Sample[] = [];
  for (let time = 0; time <= 1800; time += 5) {
    samples.push({
      t: time,
      processes: [{ service: "gateway", pid: 7, rssBytes: sawtooth(time), heapBytes: sawtooth(time) / 3, fds: 40 }],
      lag: { inbox: 2, delivery: 5 },
      unacknowledged: {},
      rates: { published: 200, delivered: 200, failedAttempts: 50, streamed: 200, acked: 200 },
    });
  }
  const ids = Array.from({ length: 1000 }, (_, i) => `e${i}`);
  return {
    samples,
    publishedSeconds: 1800,
    endLag: { inbox: 0, delivery: 0 },
    asked: 1000,
    acceptedIds: ids,
    inbox: new Set(ids),
    deliveries: new Map(ids.map((id) => [id, 1])),
    kills: [{ t: 180, service: "inbox", pid: 3, newPid: 4, backAfterSeconds: 2.5 }],
  };
}

test("soak verdict - a run with everything flat, bounded, kept and delivered passes every check", (t) => {
  const verdict = judge(goodRun(), rulesFor(30, 200));
  t.true(
    verdict.passed,
    verdict.checks
      .filter((c) => !c.passed)
      .map((c) => c.name)
      .join(", "),
  );
  t.is(verdict.checks.length, 7);
});

test("soak verdict - one lost event, one undelivered, a leak, a kill never back or too few accepted each fail the run", (t) => {
  const rules = rulesFor(30, 200);
  const failing = (change: (run: VerdictInput) => void) => {
    const run = goodRun();
    change(run);
    const verdict = judge(run, rules);
    return verdict.passed ? [] : verdict.checks.filter((c) => !c.passed).map((c) => c.name);
  };
  t.deepEqual(
    failing((run) => run.inbox.delete("e500")),
    ["events lost"],
  );
  t.deepEqual(
    failing((run) => run.deliveries.delete("e9")),
    ["events undelivered"],
  );
  t.deepEqual(
    failing((run) => {
      for (const sample of run.samples) sample.processes[0]!.rssBytes = 100 * mb + sample.t * 20_000;
    }),
    ["RSS flat"],
  );
  // Heap used rising for the whole run, as between two full collections, is reported and fails nothing.
  t.deepEqual(
    failing((run) => {
      for (const sample of run.samples) sample.processes[0]!.heapBytes = 20 * mb + sample.t * 5_000;
    }),
    [],
  );
  t.deepEqual(
    failing((run) => {
      for (const sample of run.samples) sample.processes[0]!.fds = 40 + Math.floor(sample.t / 60);
    }),
    ["open descriptors flat"],
  );
  t.deepEqual(
    failing((run) => {
      run.kills.push({ t: 360, service: "auth", pid: 5 } satisfies Kill);
    }),
    ["killed services back"],
  );
  t.deepEqual(
    failing((run) => {
      run.asked = 2000;
    }),
    ["publishes accepted"],
  );
  t.deepEqual(
    failing((run) => {
      run.endLag.inbox = 40;
    }),
    ["consumer lag bounded"],
  );
});
