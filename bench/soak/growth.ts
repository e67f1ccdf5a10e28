// Whether a process's memory or descriptors grew: each process's readings as a series, and the growth of a series
// from the median of its first readings after warm-up to the median of its last.
import type { Sample } from "./samples.js";

export type Metric = "rss" | "heap" | "fds";

export interface Point {
  t: number;
  value: number;
}

/** One process's readings of one metric: a restarted service's new process begins a series of its own. */
export interface ProcessSeries {
  service: string;
  pid: number;
  metric: Metric;
  points: Point[];
}

const readingOf = { rss: "rssBytes", heap: "heapBytes", fds: "fds" } as const;

export function seriesOf(samples: Sample[], metric: Metric): ProcessSeries[] {
  const byProcess = new Map<string, ProcessSeries>();
  for (const sample of samples) {
    for (const reading of sample.processes) {
      const value = reading[readingOf[metric]];
      if (value === undefined) continue;
      const key = `${reading.service}/${reading.pid}`;
      const series = byProcess.get(key) ?? { service: reading.service, pid: reading.pid, metric, points: [] };
      byProcess.set(key, series);
      series.points.push({ t: sample.t, value });
    }
  }
  return [...byProcess.values()];
}

export interface FlatRule {
  /** Readings this long after a series' first are left out: a process fills its caches and pools, JIT-compiles. */
  warmupSeconds: number;
  /** A series with less than this after its warm-up is too short to tell a leak from noise, and is not judged. */
  minJudgedSeconds: number;
  /** The share of the judged readings each end's median is taken over... */
  windowShare: number;
  /** ...and no fewer readings than this. */
  minWindowReadings: number;
  /** The most the last window's median may exceed the first's, as a share of the first. */
  maxGrowth: number;
}

export type Growth = { judged: true; first: number; last: number; growth: number; flat: boolean } | { judged: false; why: string };

/**
 * The growth of a series from the median of its first readings after warm-up to the median of its last before
 * `untilSeconds`, the end of publishing: a drain's idle minutes say nothing of a leak.
 */
export function growthOf(series: ProcessSeries, rule: FlatRule, untilSeconds: number): Growth {
  const start = series.points[0]?.t;
  if (start === undefined) return { judged: false, why: "no readings" };
  const judged = series.points.filter((p) => p.t >= start + rule.warmupSeconds && p.t <= untilSeconds);
  const span = judged.length > 0 ? judged.at(-1)!.t - judged[0]!.t : 0;
  const window = Math.max(rule.minWindowReadings, Math.ceil(rule.windowShare * judged.length));
  if (span < rule.minJudgedSeconds) {
    return { judged: false, why: `${Math.round(span)} s of publishing after its warm-up, under the ${rule.minJudgedSeconds} s needed` };
  }
  if (judged.length < 2 * window) {
    return { judged: false, why: `${judged.length} readings after its warm-up, under the ${2 * window} needed` };
  }
  const first = median(judged.slice(0, window).map((p) => p.value));
  const last = median(judged.slice(-window).map((p) => p.value));
  const growth = first === 0 ? (last === 0 ? 0 : Number.POSITIVE_INFINITY) : (last - first) / first;
  return { judged: true, first, last, growth, flat: growth <= rule.maxGrowth };
}

/**
 * Growths of one metric's series in the order the processes started, each restarted process judged from the higher of
 * its own first median and the highest first median of its service's processes before it: a process started mid-run
 * climbs back to the level its service already held (the soak's second run saw a restarted inbox go from 123 to 140 MB
 * RSS, where the inbox before it had run at 136 to 140), and only growth past that level is a leak.
 */
export function growthsOf(series: ProcessSeries[], rule: FlatRule, untilSeconds: number): Growth[] {
  const levels = new Map<string, number>();
  return series.map((each) => {
    const own = growthOf(each, rule, untilSeconds);
    if (!own.judged) return own;
    const level = levels.get(each.service) ?? own.first;
    levels.set(each.service, Math.max(level, own.first));
    if (level <= own.first) return own;
    const growth = (own.last - level) / level;
    return { ...own, first: level, growth, flat: growth <= rule.maxGrowth };
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
