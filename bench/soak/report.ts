// The soak's report: the verdict, the settings, the kills, the events' account and the series over time, as Markdown
// beside SVG plots and a JSON of every sample, under bench/results/soak-<date>.*.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Machine } from "../report.js";
import { type Metric, seriesOf } from "./growth.js";
import type { SoakOptions } from "./options.js";
import { type Line, type TimeChart, timeChart } from "./plot.js";
import type { Kill, Rates, Sample } from "./samples.js";
import { type FlatFinding, percent, type Rules, type Verdict } from "./verdict.js";

export interface SoakRecord {
  options: SoakOptions;
  rules: Rules;
  /** The services' own settings the soak changed, as variables. */
  serviceEnv: Record<string, string>;
  machine: Machine;
  /** Seconds since publishing began: when it ended, and when the drain ended. */
  publishedSeconds: number;
  endsAt: number;
  /** Whether the drain ended with every event delivered and every consumer caught up, rather than at its limit. */
  drained: boolean;
  samples: Sample[];
  kills: Kill[];
  publishing: { asked: number; accepted: number; errors: number; refused: Record<string, number> };
  webhooks: { delivered: number; failed: number; forgotten: number };
  stream: {
    events: number;
    distinct: number;
    readTwice: number;
    /** Accepted events the inbox stored that the live stream never sent: it promises every stored event, once. */
    storedUnread: string[];
    opened: number;
    reopened: number;
  };
  workers: { listed: number; acked: number; alreadyAcked: number; errors: number };
  inboxHeld: number;
  verdict: Verdict;
  /** What the API says of the first few undelivered events' deliveries. */
  undeliveredStories: string[];
  /** The last lines each service wrote (every process of it, killed ones too), for what led to a failure. */
  logs: Record<string, string[]>;
}

const serviceColors: Record<string, string> = {
  gateway: "#1f77b4",
  auth: "#ff7f0e",
  ingest: "#2ca02c",
  inbox: "#9467bd",
  delivery: "#8c564b",
};
const otherColors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf"];
const mb = 1024 * 1024;
// Ids listed in the report when some are lost or undelivered: enough to look a few up.
const idsShown = 10;

/** Writes the report's files and returns the Markdown's path. */
export async function writeReport(record: SoakRecord, outDir: string): Promise<string> {
  const stem = `soak-${stamp(record.machine.date)}`;
  const plots = plotsOf(record);
  await mkdir(outDir, { recursive: true });
  for (const [name, chart] of Object.entries(plots)) await writeFile(path.join(outDir, `${stem}-${name}.svg`), timeChart(chart));
  const { verdict, logs, ...rest } = record;
  const logText = Object.entries(logs).flatMap(([service, lines]) => [`== ${service}`, ...lines, ""]);
  await writeFile(path.join(outDir, `${stem}-logs.txt`), logText.join("\n"));
  const json = {
    ...rest,
    stream: { ...rest.stream, storedUnread: rest.stream.storedUnread.slice(0, 1000) },
    verdict: {
      ...verdict,
      flat: verdict.flat.map(({ series, growth }) => ({ service: series.service, pid: series.pid, metric: series.metric, growth })),
      events: { ...verdict.events, lost: verdict.events.lost.slice(0, 1000), undelivered: verdict.events.undelivered.slice(0, 1000) },
    },
  };
  await writeFile(path.join(outDir, `${stem}.json`), `${JSON.stringify(json, null, 2)}\n`);
  const markdownPath = path.join(outDir, `${stem}.md`);
  await writeFile(markdownPath, markdown(record, stem, Object.keys(plots)));
  return markdownPath;
}

/** 2026-12-05T14:03:09.123Z → 2026-12-05-1403 (UTC): a name per run, sorting by time. */
function stamp(iso: string): string {
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

function plotsOf(record: SoakRecord): Record<string, TimeChart> {
  const common = {
    markers: record.kills.map((k) => ({ t: k.t, label: `kill ${k.service}` })),
    publishedUntil: record.publishedSeconds,
    endsAt: record.endsAt,
  };
  const services = [...new Set(record.samples.flatMap((s) => s.processes.map((p) => p.service)))];
  const serviceLegend = services.map((label) => ({ label, color: serviceColors[label] ?? "#333" }));
  const perProcess = (metric: Metric, scale: number): Line[] =>
    seriesOf(record.samples, metric).map((series) => ({
      color: serviceColors[series.service] ?? "#333",
      points: series.points.map((p) => ({ t: p.t, value: p.value / scale })),
    }));
  const consumers = [...new Set(record.samples.flatMap((s) => Object.keys(s.lag)))];
  const rateNames: [keyof Rates, string][] = [
    ["published", "published (2xx)"],
    ["delivered", "webhooks 2xx"],
    ["failedAttempts", "webhooks 500"],
    ["streamed", "live stream"],
    ["acked", "inbox acks"],
  ];
  return {
    rss: { ...common, title: "RSS of each service process", unit: "MB", lines: perProcess("rss", mb), legend: serviceLegend },
    heap: { ...common, title: "V8 heap used of each service process", unit: "MB", lines: perProcess("heap", mb), legend: serviceLegend },
    fds: {
      ...common,
      title: "Open file descriptors of each service process, less the connections others opened to it",
      unit: "descriptors",
      lines: perProcess("fds", 1),
      legend: serviceLegend,
    },
    postgres: {
      ...common,
      title: "Postgres connections to the soak's database",
      unit: "connections",
      lines: [
        ...services.map((service) => ({
          color: serviceColors[service] ?? "#333",
          points: record.samples.flatMap((s) => (s.postgres ? [{ t: s.t, value: s.postgres.byService[service] ?? 0 }] : [])),
        })),
        { color: "#000", points: record.samples.flatMap((s) => (s.postgres ? [{ t: s.t, value: s.postgres.total }] : [])) },
      ],
      legend: [...serviceLegend, { label: "all", color: "#000" }],
    },
    lag: {
      ...common,
      title: "JetStream consumer lag (pending + unacknowledged)",
      unit: "messages",
      lines: consumers.map((consumer, i) => ({
        color: otherColors[i % otherColors.length]!,
        points: record.samples.flatMap((s) => (s.lag[consumer] === undefined ? [] : [{ t: s.t, value: s.lag[consumer]! }])),
      })),
      legend: consumers.map((label, i) => ({ label, color: otherColors[i % otherColors.length]! })),
    },
    rates: {
      ...common,
      title: "Publishing, delivery and reading",
      unit: "a second",
      lines: rateNames.map(([name], i) => ({
        color: otherColors[i % otherColors.length]!,
        points: record.samples.map((s) => ({ t: s.t, value: s.rates[name] })),
      })),
      legend: rateNames.map(([, label], i) => ({ label, color: otherColors[i % otherColors.length]! })),
    },
  };
}

function markdown(record: SoakRecord, stem: string, plots: string[]): string {
  const { options: o, rules, verdict: v, machine: m } = record;
  const n = (value: number) => value.toLocaleString("en", { maximumFractionDigits: 1 });
  const seconds = (value: number) => `${n(value)} s`;
  const lines = [
    `# Triggers soak: ${v.passed ? "PASS" : "FAIL"} (${n(o.minutes)} minutes)`,
    "",
    `${m.date} on ${m.cores} cores of ${m.cpu}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; the load, the webhook receiver, NATS, Postgres and every service on that one machine.`,
    "",
    "## Verdict",
    "",
    "| check | bound | measured | passed |",
    "| --- | --- | --- | --- |",
    ...v.checks.map((c) => `| ${c.name} | ${c.bound} | ${c.measured} | ${c.passed ? "yes" : "NO"} |`),
    "",
    ...idList(`Lost (accepted, not in the inbox at the end${inboxBehind(v)})`, v.events.lost),
    ...idList("Undelivered (accepted, never answered 2xx by the webhook)", v.events.undelivered),
    ...(record.undeliveredStories.length > 0
      ? ["What the API says of their deliveries:", "", ...record.undeliveredStories.map((story) => `- ${story}`), ""]
      : []),
    ...idList(
      "Not a check, but the live stream promises every stored event: accepted, stored, never read by it",
      record.stream.storedUnread,
    ),
    "## Settings",
    "",
    `- ${n(o.rate)} events/s published through the gateway's \`POST /v1/events\` for ${n(o.minutes)} minutes (${n(record.publishing.asked)} asked), paced evenly over up to 64 connections`,
    `- one subscription to every type, its webhook answering 500 to ${n(o.failShare * 100)}% of requests at random${o.forgetShare > 0 ? `, and 2xx without recording to ${n(o.forgetShare * 100)}% (a receiver losing deliveries on purpose)` : ""}`,
    "- two inbox workers listing 100 events with a 30 s lease (long-polling 5 s) and acknowledging each page; one `GET /v1/events/stream` reader",
    `- ${o.killEveryMinutes > 0 ? `a service chosen at random killed with SIGKILL every ${n(o.killEveryMinutes)} minutes, restarted by the supervisor (0.5 s, doubling to 10 s for a service that died within 30 s of starting)` : "no kills"}`,
    `- a sample every ${n(o.sampleSeconds)} s; after publishing, up to ${n(o.drainMinutes)} minutes for the last deliveries and for the consumers to catch up (${record.drained ? `done after ${seconds(record.endsAt - record.publishedSeconds)}` : "the limit was reached"})`,
    `- services' settings changed: ${Object.entries(record.serviceEnv)
      .map(([name, value]) => `\`${name}=${value}\``)
      .join(", ")} (retries within seconds, so that a run and its drain see every event's retries through)`,
    `- memory and descriptors judged per process, from ${rules.flat.warmupSeconds} s after its first sample to the end of publishing, when that leaves at least ${rules.flat.minJudgedSeconds} s: the median of the first ${n(rules.flat.windowShare * 100)}% of those samples (at least ${rules.flat.minWindowReadings}) against the median of the last`,
    `- seed ${o.seed}: \`npm run soak -- --minutes ${o.minutes} --rate ${o.rate} --kill-every ${o.killEveryMinutes} --seed ${o.seed}\` makes the same kills and the same failed webhooks`,
    "",
    "## Kills",
    "",
    ...(record.kills.length === 0
      ? ["None.", ""]
      : [
          "| at | service | pid | new pid | back (answering /healthz) after |",
          "| --- | --- | --- | --- | --- |",
          ...record.kills.map(
            (k) =>
              `| ${clock(k.t)} | ${k.service} | ${k.pid ?? "?"} | ${k.newPid ?? "none"} | ${k.backAfterSeconds === undefined ? "never" : seconds(k.backAfterSeconds)} |`,
          ),
          "",
        ]),
    "## Events",
    "",
    "| | count |",
    "| --- | --- |",
    `| publishes asked | ${n(record.publishing.asked)} |`,
    `| accepted (2xx, id kept) | ${n(v.events.accepted)} |`,
    `| refused or unanswered | ${n(record.publishing.errors)}${refusals(record.publishing.refused)} |`,
    `| held by the inbox at the end | ${n(record.inboxHeld)} (of them without a 2xx answer, their publish cut off by a kill: ${n(v.events.unanswered)}) |`,
    `| lost | ${n(v.events.lost.length)} |`,
    `| webhooks answered 2xx | ${n(record.webhooks.delivered)} |`,
    `| webhooks answered 500 on purpose | ${n(record.webhooks.failed)} |`,
    ...(record.webhooks.forgotten > 0 ? [`| webhooks answered 2xx and forgotten on purpose | ${n(record.webhooks.forgotten)} |`] : []),
    `| undelivered | ${n(v.events.undelivered.length)} |`,
    `| delivered more than once (at least once allows it) | ${n(v.events.eventsDeliveredTwice)} events, ${n(v.events.duplicateDeliveries)} deliveries beyond the first |`,
    `| read by the live stream | ${n(record.stream.events)} (${n(record.stream.distinct)} distinct, ${n(record.stream.readTwice)} read twice; ${n(record.stream.storedUnread.length)} accepted and stored never read; streams opened: ${n(record.stream.opened)}, of them after a refusal: ${n(record.stream.reopened)}) |`,
    `| listed by the inbox workers | ${n(record.workers.listed)}, acknowledged ${n(record.workers.acked)} (${n(record.workers.alreadyAcked)} already), ${n(record.workers.errors)} failed calls |`,
    "",
    "## Processes",
    "",
    "Each process's first and last median after warm-up, and the growth between them.",
    "",
    "| service | pid | sampled (min) | RSS (MB) | heap used (MB, reported, not judged) | open descriptors | not judged because |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...processRows(v.flat),
    "",
    "## Consumer lag",
    "",
    "Lag is pending plus unacknowledged messages. A consumer whose lag is all pending is not asking for messages, or not",
    "fast enough; one whose lag is unacknowledged holds messages it has not finished.",
    "",
    "| consumer | peak (messages) | at | unacknowledged at the peak | at the end | unread samples |",
    "| --- | --- | --- | --- | --- | --- |",
    ...v.lag.map((l) => {
      const unacknowledged = record.samples.find((s) => s.t === l.peakAt)?.unacknowledged[l.consumer];
      return `| ${l.consumer} | ${n(l.peak)} | ${clock(l.peakAt)} | ${unacknowledged === undefined ? "" : n(unacknowledged)} | ${l.end === undefined ? "unread" : n(l.end)} | ${l.unread} |`;
    }),
    "",
    "## Postgres connections",
    "",
    postgresSummary(record.samples),
    "",
    `The last lines of each service's output are in [${stem}-logs.txt](${stem}-logs.txt), every sample in [${stem}.json](${stem}.json).`,
    "",
    "## Over time",
    "",
    "Kills are the dashed red lines; the shaded end is the drain, after publishing stopped.",
    "",
    ...plots.flatMap((name) => [`![${name}](${stem}-${name}.svg)`, ""]),
  ];
  return lines.join("\n");
}

/** Whether lost events may yet be in the events stream, the inbox's consumer not having stored them. */
function inboxBehind(v: Verdict): string {
  const end = v.lag.find((l) => l.consumer === "inbox")?.end;
  return end ? `; the inbox's consumer still had ${end.toLocaleString("en")} messages of the events stream to store` : "";
}

function idList(title: string, ids: string[]): string[] {
  if (ids.length === 0) return [];
  const shown = ids.slice(0, idsShown).map((id) => `\`${id}\``);
  return [`${title}: ${ids.length}, among them ${shown.join(", ")}`, ""];
}

function refusals(refused: Record<string, number>): string {
  const entries = Object.entries(refused);
  return entries.length === 0 ? "" : ` (${entries.map(([status, count]) => `${status}: ${count}`).join(", ")}; the rest unanswered)`;
}

/** m:ss since publishing began. */
function clock(t: number): string {
  const whole = Math.round(t);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function processRows(flat: FlatFinding[]): string[] {
  const byProcess = new Map<string, Partial<Record<Metric, FlatFinding>>>();
  for (const finding of flat) {
    const key = `${finding.series.service}/${finding.series.pid}`;
    byProcess.set(key, { ...byProcess.get(key), [finding.series.metric]: finding });
  }
  return [...byProcess.values()].map((metrics) => {
    const any = (metrics.rss ?? metrics.heap ?? metrics.fds)!;
    const points = any.series.points;
    const span = `${(points[0]!.t / 60).toFixed(1)} to ${(points.at(-1)!.t / 60).toFixed(1)}`;
    const cell = (metric: Metric, scale: number) => {
      const growth = metrics[metric]?.growth;
      if (!growth?.judged) return "";
      const value = (x: number) => (x / scale).toFixed(scale === 1 ? 0 : 1);
      return `${value(growth.first)} → ${value(growth.last)} (${percent(growth.growth)})${growth.flat ? "" : " **grew**"}`;
    };
    const why = (["rss", "heap", "fds"] as const).map((metric) => metrics[metric]?.growth).find((growth) => growth && !growth.judged);
    const reason = why && !why.judged ? why.why : "";
    return `| ${any.series.service} | ${any.series.pid} | ${span} | ${cell("rss", mb)} | ${cell("heap", mb)} | ${cell("fds", 1)} | ${reason} |`;
  });
}

function postgresSummary(samples: Sample[]): string {
  const read = samples.filter((s) => s.postgres);
  if (read.length === 0) return "Postgres could not be asked.";
  const services = [...new Set(read.flatMap((s) => Object.keys(s.postgres!.byService)))];
  const last = read.at(-1)!.postgres!;
  const peak = (of: (p: NonNullable<Sample["postgres"]>) => number) => Math.max(...read.map((s) => of(s.postgres!)));
  return [
    "| | peak | at the end |",
    "| --- | --- | --- |",
    ...services.map((service) => `| ${service} | ${peak((p) => p.byService[service] ?? 0)} | ${last.byService[service] ?? 0} |`),
    `| all (the sampler's own excluded) | ${peak((p) => p.total)} | ${last.total} |`,
  ].join("\n");
}
