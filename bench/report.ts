// The bench's report: figures with their floor, ratio and target, as a console table, JSON and Markdown.
import os from "node:os";
import { round } from "./percentiles.js";

export interface Row {
  section: string;
  figure: string;
  value: number;
  unit: string;
  /** What the figure is compared with, measured in the same run. */
  floor?: { name: string; value: number };
  /** The target: at most, at least, or at least this ratio to the floor. */
  target?: { max: number } | { min: number } | { minRatio: number };
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  date: string;
}

export interface Report {
  mode: "full" | "smoke";
  machine: Machine;
  rows: Row[];
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

export function ratio(row: Row): number | undefined {
  return row.floor && row.floor.value !== 0 ? round(row.value / row.floor.value) : undefined;
}

/** Whether the row meets its target; undefined when it has none. */
export function met(row: Row): boolean | undefined {
  const target = row.target;
  if (!target) return undefined;
  if ("max" in target) return row.value <= target.max;
  if ("min" in target) return row.value >= target.min;
  const r = ratio(row);
  return r !== undefined && r >= target.minRatio;
}

function targetText(row: Row): string {
  const target = row.target;
  if (!target) return "";
  if ("max" in target) return `≤ ${target.max} ${row.unit}`;
  if ("min" in target) return `≥ ${target.min} ${row.unit}`;
  return `≥ ${target.minRatio}x`;
}

const headings = ["figure", "value", "floor", "ratio", "target", "met"];
// A smoke run's few seconds of load say nothing about the targets, so its table tells only whether each figure came out.
const smokeHeadings = ["figure", "value", "floor", "ratio", "figure produced"];

/** What a smoke run checks, said above its table: its figures are not to be read against the targets. */
const smokeNotice =
  "Smoke run: checks only that every section produces a figure. Its figures come from seconds of load and are not compared with any target.";

/** Whether every row has a figure: all a smoke run asks. */
export function everyFigureProduced(report: Report): boolean {
  return report.rows.every((row) => Number.isFinite(row.value));
}

function headingsOf(report: Report): string[] {
  return report.mode === "smoke" ? smokeHeadings : headings;
}

function cells(row: Row, mode: Report["mode"]): string[] {
  const measured = [
    `${row.section}: ${row.figure}`,
    `${format(row.value)} ${row.unit}`,
    row.floor ? `${format(row.floor.value)} (${row.floor.name})` : "",
    ratio(row)?.toString() ?? "",
  ];
  if (mode === "smoke") return [...measured, Number.isFinite(row.value) ? "yes" : "NO"];
  const outcome = met(row);
  return [...measured, targetText(row), outcome === undefined ? "" : outcome ? "yes" : "NO"];
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString("en", { maximumFractionDigits: 2 }) : "none";
}

export function consoleTable(report: Report): string {
  const rows = [headingsOf(report), ...report.rows.map((row) => cells(row, report.mode))];
  const widths = headingsOf(report).map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
  return report.mode === "smoke" ? `${smokeNotice}\n\n${table}` : table;
}

export function markdown(report: Report): string {
  const { machine: m } = report;
  return [
    `# Triggers bench (${report.mode} run)`,
    "",
    `${m.date} on ${m.cores} cores of ${m.cpu}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; load generator, NATS, Postgres and every service on that one machine.`,
    "",
    ...(report.mode === "smoke" ? [smokeNotice, ""] : []),
    `| ${headingsOf(report).join(" | ")} |`,
    `| ${headingsOf(report)
      .map(() => "---")
      .join(" | ")} |`,
    ...report.rows.map((row) => `| ${cells(row, report.mode).join(" | ")} |`),
    "",
    "![throughput and latency](latest.svg)",
    "",
  ].join("\n");
}
