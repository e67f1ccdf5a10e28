// `npm run bench -- --compare <ref>`: chosen sections against this checkout and another commit, in alternating rounds.
import { consumersCaughtUp } from "./consumers-caught-up.js";
import { cpuPerAnswer } from "./cpu.js";
import { openIdleStreams } from "./idle-streams.js";
import { MemoryWatch } from "./memory.js";
import { difference, spread } from "./noise.js";
import { fixedRate, type Plan } from "./plan.js";
import { postgresCpuSeconds } from "./postgres-cpu.js";
import { measureDelivery } from "./sections/delivery.js";
import { pageQueries, readPages, seedInbox } from "./sections/inbox.js";
import { post, postPaced } from "./sections/ingest.js";
import { measureRequestPath } from "./sections/request-path.js";
import { type BenchStack, startBenchStack } from "./stack.js";
import { buildCommit } from "./worktree.js";

type Build = "base" | "head";
/** What a section measures in one round, by figure. */
type Figures = Record<string, number>;

const sections: Record<string, (plan: Plan, stack: BenchStack, idleStreams: number) => Promise<Figures>> = {
  async ingest(plan, stack, idleStreams) {
    const idle = await openIdleStreams(stack.gatewayUrl, stack.adminToken, idleStreams);
    const memory = new MemoryWatch(stack.pids);
    memory.start();
    const { result, cpuUs } = await cpuPerAnswer({ ...stack.pids, nats: stack.natsPid, postgres: postgresCpuSeconds }, () =>
      post(target(stack), plan.loadSeconds),
    ).finally(() => Promise.all([idle.close(), memory.stop()]));
    // Stopped already: this only reads the peaks once more.
    const peaks = await memory.stop();
    return {
      ...(idleStreams > 0 ? { "ingest: idle event streams held": idle.open } : {}),
      "ingest: events/s, 64 connections": result.perSecond,
      "ingest: p99 ms": result.p99,
      "ingest: gateway CPU µs/event": cpuUs.gateway ?? Number.NaN,
      "ingest: ingest CPU µs/event": cpuUs.ingest ?? Number.NaN,
      "ingest: NATS CPU µs/event": cpuUs.nats ?? Number.NaN,
      "ingest: Postgres CPU µs/event": cpuUs.postgres ?? Number.NaN,
      ...Object.fromEntries(Object.entries(peaks).map(([service, mb]) => [`ingest: ${service} peak RSS MB`, mb!])),
    };
  },
  async fixed(plan, stack) {
    const result = await postPaced(target(stack), plan.loadSeconds);
    return {
      [`fixed ${fixedRate}/s: p50 ms`]: result.p50,
      [`fixed ${fixedRate}/s: p95 ms`]: result.p95,
      [`fixed ${fixedRate}/s: p99 ms`]: result.p99,
      [`fixed ${fixedRate}/s: errors`]: result.errors,
    };
  },
  async "request-path"(plan, stack) {
    const { result, cpuUs } = await measureRequestPath(plan, stack, target(stack));
    return {
      "request path: events/s, 64 connections, consumers paused": result.perSecond,
      "request path: p99 ms": result.p99,
      "request path: gateway CPU µs/event": cpuUs.gateway ?? Number.NaN,
      "request path: NATS CPU µs/event": cpuUs.nats ?? Number.NaN,
    };
  },
  // The stack's own pages, each with the CPU every process spends on one: where a page's time goes.
  async inbox(plan, stack) {
    const { deepCursor } = await seedInbox(plan, stack.databaseUrl, stack.orgId);
    const sources = { gateway: stack.pids.gateway, inbox: stack.pids.inbox, auth: stack.pids.auth, postgres: postgresCpuSeconds };
    const figures: Figures = {};
    for (const [name, query] of Object.entries(pageQueries(deepCursor))) {
      const { result, cpuUs } = await cpuPerAnswer(sources, () => readPages(target(stack), query, plan));
      figures[`inbox: ${name} page p95 ms`] = result.p95;
      figures[`inbox: ${name} pages/s`] = result.perSecond;
      for (const [source, us] of Object.entries(cpuUs)) figures[`inbox: ${name} page ${source} CPU µs/page`] = us ?? Number.NaN;
    }
    return figures;
  },
  async delivery(plan, stack) {
    const { steps, capacity } = await measureDelivery(plan, target(stack), stack.pids.delivery, () => {});
    const figures: Figures = { "delivery: capacity events/s": capacity };
    for (const step of steps) {
      figures[`delivery: p95 ms at ${step.rate}/s`] = step.p95;
      figures[`delivery: undelivered at ${step.rate}/s`] = step.accepted - step.delivered;
      figures[`delivery: delivery CPU µs/event at ${step.rate}/s`] = step.deliveryCpuUs;
      figures[`delivery: Postgres CPU µs/event at ${step.rate}/s`] = step.postgresCpuUs;
    }
    return figures;
  },
};

export const sectionNames = Object.keys(sections);

/**
 * Measures each section once per round on each build, the order of the builds swapped every round so that a machine
 * that speeds up or slows down during the run favours neither; answers a table of medians and ranges. Only the stack
 * being measured runs: an idle one beside it costs the machine enough to move a capacity by a rate step.
 */
export async function compare(
  ref: string,
  chosen: string[],
  rounds: number,
  plan: Plan,
  step: (what: string) => void,
  /** Event streams each build holds open and idle while its publishes are measured (none on a build without them). */
  idleStreams = 0,
): Promise<string> {
  const unknown = chosen.filter((name) => !(name in sections));
  if (unknown.length > 0) throw new Error(`unknown sections ${unknown.join(", ")}: choose from ${sectionNames.join(", ")}`);
  step(`building ${ref} in a worktree`);
  const base = await buildCommit(ref);
  const roots: Record<Build, string | undefined> = { base: base.root, head: undefined };
  try {
    const samples: Record<Build, Record<string, number[]>> = { base: {}, head: {} };
    for (let round = 0; round < rounds; round++) {
      const order: Build[] = round % 2 === 0 ? ["base", "head"] : ["head", "base"];
      for (const build of order) {
        step(`round ${round + 1} of ${rounds}: starting a stack of ${build === "base" ? base.commit.slice(0, 7) : "this checkout"}`);
        const stack = await startBenchStack(roots[build]);
        try {
          for (const name of chosen) {
            step(`round ${round + 1} of ${rounds}: ${name} on ${build}`);
            const figures = await sections[name]!(plan, stack, idleStreams);
            await consumersCaughtUp(stack.natsUrl);
            for (const [figure, value] of Object.entries(figures)) samples[build][figure] = [...(samples[build][figure] ?? []), value];
          }
        } finally {
          await stack.stop();
        }
      }
    }
    return comparisonTable(base.commit, rounds, samples);
  } finally {
    await base.remove();
  }
}

function target(stack: BenchStack) {
  return { url: stack.gatewayUrl, key: stack.key };
}

/** One row a figure: each build's median and range over the rounds, the change, and whether it stands out of the noise. */
export function comparisonTable(baseCommit: string, rounds: number, samples: Record<Build, Record<string, number[]>>): string {
  const range = (s: { median: number; min: number; max: number }) => `${fmt(s.median)} (${fmt(s.min)} to ${fmt(s.max)})`;
  const lines = [
    `base: ${baseCommit.slice(0, 12)}; head: this checkout; ${rounds} rounds, medians (and ranges)`,
    "",
    "| figure | base | head | change | verdict |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const figure of new Set([...Object.keys(samples.base), ...Object.keys(samples.head)])) {
    const [base, head] = [samples.base[figure] ?? [], samples.head[figure] ?? []];
    // A rate one build never climbed to: nothing to set beside it.
    if (base.length === 0 || head.length === 0) {
      lines.push(
        `| ${figure} | ${base.length ? range(spread(base)) : "not reached"} | ${head.length ? range(spread(head)) : "not reached"} | n/a | one build only |`,
      );
      continue;
    }
    const d = difference(base, head);
    const change = Number.isFinite(d.change) ? `${d.change >= 0 ? "+" : ""}${(d.change * 100).toFixed(1)}%` : "n/a";
    const verdict = d.withinNoise ? "within the noise" : "outside the noise";
    lines.push(`| ${figure} | ${range(d.base)} | ${range(d.head)} | ${change} | ${verdict} |`);
  }
  return lines.join("\n");
}

function fmt(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10) / 10) : "n/a";
}
