// `npm run bench -- --compare <ref>`: chosen sections against this checkout and another commit, in alternating rounds.
import { cpuPerAnswer } from "./cpu.js";
import { difference } from "./noise.js";
import type { Plan } from "./plan.js";
import { measureDelivery } from "./sections/delivery.js";
import { post } from "./sections/ingest.js";
import { type BenchStack, startBenchStack } from "./stack.js";
import { buildCommit } from "./worktree.js";

type Build = "base" | "head";
/** What a section measures in one round, by figure. */
type Figures = Record<string, number>;

const sections: Record<string, (plan: Plan, stack: BenchStack) => Promise<Figures>> = {
  async ingest(plan, stack) {
    const { result, cpuUs } = await cpuPerAnswer(stack.pids, () => post(target(stack), plan.loadSeconds));
    return {
      "ingest: events/s, 64 connections": result.perSecond,
      "ingest: p99 ms": result.p99,
      "ingest: gateway CPU µs/event": cpuUs.gateway ?? Number.NaN,
      "ingest: ingest CPU µs/event": cpuUs.ingest ?? Number.NaN,
    };
  },
  async delivery(plan, stack) {
    const figures = await measureDelivery(plan, target(stack), () => {});
    return {
      "delivery: p50 ms at 500/s": figures.p50,
      "delivery: p95 ms at 500/s": figures.p95,
      "delivery: undelivered": figures.accepted - figures.delivered,
    };
  },
};

export const sectionNames = Object.keys(sections);

/**
 * Measures each section once per round on each build, the order of the builds swapped every round so that a machine
 * that speeds up or slows down during the run favours neither; answers a table of medians and ranges.
 */
export async function compare(ref: string, chosen: string[], rounds: number, plan: Plan, step: (what: string) => void): Promise<string> {
  const unknown = chosen.filter((name) => !(name in sections));
  if (unknown.length > 0) throw new Error(`unknown sections ${unknown.join(", ")}: choose from ${sectionNames.join(", ")}`);
  step(`building ${ref} in a worktree`);
  const base = await buildCommit(ref);
  const stacks: Partial<Record<Build, BenchStack>> = {};
  try {
    step(`starting a stack of ${base.commit.slice(0, 7)}`);
    stacks.base = await startBenchStack(base.root);
    step("starting a stack of this checkout");
    stacks.head = await startBenchStack();
    const samples: Record<Build, Record<string, number[]>> = { base: {}, head: {} };
    for (let round = 0; round < rounds; round++) {
      const order: Build[] = round % 2 === 0 ? ["base", "head"] : ["head", "base"];
      for (const name of chosen) {
        for (const build of order) {
          step(`round ${round + 1} of ${rounds}: ${name} on ${build}`);
          const figures = await sections[name]!(plan, stacks[build]!);
          for (const [figure, value] of Object.entries(figures)) samples[build][figure] = [...(samples[build][figure] ?? []), value];
        }
      }
    }
    return comparisonTable(base.commit, rounds, samples);
  } finally {
    await stacks.head?.stop();
    await stacks.base?.stop();
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
  for (const figure of Object.keys(samples.head)) {
    const d = difference(samples.base[figure] ?? [], samples.head[figure]!);
    const change = Number.isFinite(d.change) ? `${d.change >= 0 ? "+" : ""}${(d.change * 100).toFixed(1)}%` : "n/a";
    const verdict = d.withinNoise ? "within the noise" : "outside the noise";
    lines.push(`| ${figure} | ${range(d.base)} | ${range(d.head)} | ${change} | ${verdict} |`);
  }
  return lines.join("\n");
}

function fmt(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10) / 10) : "n/a";
}
