// The soak's verdict, from what it recorded: memory and descriptors flat, lag bounded, no event lost or undelivered,
// every killed service back. Pure functions over samples, so that a test can feed them synthetic series.
import { accountForEvents, type EventAccount } from "./event-account.js";
import { type FlatRule, type Growth, growthsOf, type Metric, type ProcessSeries, seriesOf } from "./growth.js";
import { judgeLag, type LagFinding, type LagRule } from "./lag.js";
import type { Kill, Sample } from "./samples.js";

export interface Rules {
  flat: FlatRule;
  lag: LagRule;
  /** The least share of the publishes asked for that must be accepted: a stack refusing everything loses nothing. */
  minAcceptedShare: number;
  /** How long a killed service may take to answer /healthz again. */
  maxBackSeconds: number;
}

/**
 * The bounds a run of `minutes` at `rate` events a second is held to. A process warms up as long whatever the run's
 * length (its heap grows to its working size, its pools fill: a service's RSS has been seen to step up 15% a minute
 * in); the shortest series judged scales down for short runs, which check the soak's machinery more than memory.
 */
export function rulesFor(minutes: number, rate: number): Rules {
  const seconds = minutes * 60;
  return {
    flat: {
      warmupSeconds: 120,
      minJudgedSeconds: Math.round(Math.min(300, seconds / 4)),
      windowShare: 0.1,
      // Some 25 s at least: a heap's used bytes saw up and down between collections, and three readings of it can
      // all fall on one side.
      minWindowReadings: 5,
      maxGrowth: 0.1,
    },
    // A consumer a minute of events behind has stopped keeping up; a restart's unacknowledged messages come back
    // within their ack wait (30 s at most) and never come near it.
    lag: { max: rate * 60, endMax: 0 },
    // A kill of the gateway or auth refuses publishes until it is back: 20 s on a busy machine, a tenth of a
    // three-minute run.
    minAcceptedShare: 0.8,
    maxBackSeconds: 60,
  };
}

export interface Check {
  name: string;
  bound: string;
  measured: string;
  passed: boolean;
}

export interface FlatFinding {
  series: ProcessSeries;
  growth: Growth;
}

export interface Verdict {
  passed: boolean;
  checks: Check[];
  flat: FlatFinding[];
  lag: LagFinding[];
  events: EventAccount;
}

export interface VerdictInput {
  samples: Sample[];
  /** When publishing ended, in seconds since it began. */
  publishedSeconds: number;
  endLag: Record<string, number | undefined>;
  /** Publishes the load asked for. */
  asked: number;
  acceptedIds: Iterable<string>;
  inbox: Set<string>;
  deliveries: Map<string, number>;
  kills: Kill[];
}

const metricNames: Record<Metric, string> = { rss: "RSS", heap: "heap used", fds: "open descriptors" };

// Heap used is reported, not judged: it rises between V8's full collections, and a process that allocates little
// (auth) went ten minutes of a soak without one, 17 to 22 MB, while a full collection forced in it measured 15.8 to
// 16.0 MB. Its memory is judged by RSS, which a leak on the heap raises too.
const judgedMetrics = ["rss", "fds"] as const;

export function judge(input: VerdictInput, rules: Rules): Verdict {
  const flat = (["rss", "heap", "fds"] as const).flatMap((metric) => {
    const series = seriesOf(input.samples, metric);
    const growths = growthsOf(series, rules.flat, input.publishedSeconds);
    return series.map((each, i) => ({ series: each, growth: growths[i]! }));
  });
  const lag = judgeLag(input.samples, input.endLag, rules.lag);
  const events = accountForEvents(input.acceptedIds, input.inbox, input.deliveries);
  const checks: Check[] = [
    ...judgedMetrics.map((metric) => flatCheck(metric, flat, rules.flat)),
    {
      name: "consumer lag bounded",
      bound: `≤ ${rules.lag.max.toLocaleString("en")} messages throughout, ≤ ${rules.lag.endMax} at the end`,
      measured: lag.map((l) => `${l.consumer} peak ${l.peak.toLocaleString("en")}, end ${l.end ?? "unread"}`).join("; "),
      passed: lag.length > 0 && lag.every((l) => l.bounded),
    },
    {
      name: "publishes accepted",
      bound: `≥ ${Math.round(rules.minAcceptedShare * 100)}% of ${input.asked.toLocaleString("en")} asked`,
      measured: `${events.accepted.toLocaleString("en")} (${share(events.accepted, input.asked)})`,
      passed: events.accepted >= rules.minAcceptedShare * input.asked,
    },
    {
      name: "events lost",
      bound: "0 (every accepted event in the inbox)",
      measured: String(events.lost.length),
      passed: events.lost.length === 0,
    },
    {
      name: "events undelivered",
      bound: "0 (every accepted event received by the webhook)",
      measured: String(events.undelivered.length),
      passed: events.undelivered.length === 0,
    },
    {
      name: "killed services back",
      bound: `every one answering /healthz within ${rules.maxBackSeconds} s`,
      measured:
        input.kills.length === 0
          ? "no kills"
          : `${input.kills.filter((k) => backInTime(k, rules)).length} of ${input.kills.length}, slowest ${slowest(input.kills)}`,
      passed: input.kills.every((k) => backInTime(k, rules)),
    },
  ];
  return { passed: checks.every((c) => c.passed), checks, flat, lag, events };
}

function flatCheck(metric: Metric, flat: FlatFinding[], rule: FlatRule): Check {
  const mine = flat.filter((f) => f.series.metric === metric);
  const judged = mine.filter((f): f is FlatFinding & { growth: { judged: true } } => f.growth.judged);
  const worst = judged.reduce<(typeof judged)[number] | undefined>((w, f) => (!w || f.growth.growth > w.growth.growth ? f : w), undefined);
  return {
    name: `${metricNames[metric]} flat`,
    bound: `growth ≤ ${Math.round(rule.maxGrowth * 100)}% per process after ${rule.warmupSeconds} s of warm-up`,
    measured: worst
      ? `${judged.length} of ${mine.length} processes judged; most: ${worst.series.service} (pid ${worst.series.pid}) ${percent(worst.growth.growth)}`
      : `none of ${mine.length} processes ran long enough to judge`,
    passed: judged.every((f) => f.growth.flat),
  };
}

function backInTime(kill: Kill, rules: Rules): boolean {
  return kill.backAfterSeconds !== undefined && kill.backAfterSeconds <= rules.maxBackSeconds;
}

function slowest(kills: Kill[]): string {
  if (kills.some((k) => k.backAfterSeconds === undefined)) return "never back";
  return `${Math.max(...kills.map((k) => k.backAfterSeconds!)).toFixed(1)} s`;
}

export function percent(growth: number): string {
  return `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%`;
}

function share(part: number, whole: number): string {
  return whole === 0 ? "of none" : `${((part / whole) * 100).toFixed(1)}%`;
}
