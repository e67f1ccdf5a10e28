// An SVG line chart over the soak's minutes, in the bench chart's look: one line per series (a restarted service's
// processes in one colour, one line each), the kills as dashed verticals, the drain after publishing shaded.
import { escapeXml } from "../chart.js";
import type { Point } from "./growth.js";

export interface Line {
  color: string;
  points: Point[];
}

export interface TimeChart {
  title: string;
  /** Shown beside the values of the y axis' title. */
  unit: string;
  lines: Line[];
  legend: { label: string; color: string }[];
  /** Kills: where, and the service's name. */
  markers: { t: number; label: string }[];
  /** Seconds since publishing began at which publishing ended, and at which the run ended. */
  publishedUntil: number;
  endsAt: number;
}

const width = 900;
const height = 300;
const left = 70;
const right = 20;
const top = 50;
const bottom = 40;
const markerColor = "#c0392b";

export function timeChart(chart: TimeChart): string {
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const end = Math.max(1, chart.endsAt);
  const values = chart.lines.flatMap((line) => line.points.map((p) => p.value)).filter(Number.isFinite);
  const yMax = niceCeiling(Math.max(0, ...values));
  const x = (t: number) => left + (Math.max(0, Math.min(t, end)) / end) * plotWidth;
  const y = (value: number) => top + plotHeight - (value / yMax) * plotHeight;

  const yStep = yMax / 4;
  const yTicks = [0, 1, 2, 3, 4].map((i) => i * yStep);
  // Whole minutes, at most about ten of them labelled.
  const xStep = Math.max(1, niceStep(end / 60 / 10)) * 60;
  const xTicks: number[] = [];
  for (let t = 0; t <= end + 1e-9; t += xStep) xTicks.push(t);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
    legend(chart.legend),
    `<rect x="${x(chart.publishedUntil).toFixed(1)}" y="${top}" width="${(x(end) - x(chart.publishedUntil)).toFixed(1)}" height="${plotHeight}" fill="#f0f0f0"/>`,
    ...yTicks.map(
      (v) =>
        `<line x1="${left}" x2="${left + plotWidth}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e0e0e0"/>` +
        `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeXml(tickLabel(v))}</text>`,
    ),
    ...xTicks.map((t) => `<text x="${x(t).toFixed(1)}" y="${top + plotHeight + 16}" text-anchor="middle">${t / 60}</text>`),
    `<text x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">minutes since publishing began (shaded: the drain after it)</text>`,
    `<text x="14" y="${top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + plotHeight / 2})">${escapeXml(chart.unit)}</text>`,
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    ...chart.markers.map(
      (m) =>
        `<line x1="${x(m.t).toFixed(1)}" x2="${x(m.t).toFixed(1)}" y1="${top}" y2="${top + plotHeight}" stroke="${markerColor}" stroke-dasharray="4 3"/>` +
        `<text x="${(x(m.t) + 3).toFixed(1)}" y="${top + 11}" fill="${markerColor}" font-size="10">${escapeXml(m.label)}</text>`,
    ),
    ...chart.lines
      .filter((line) => line.points.length > 0)
      .map(
        (line) =>
          `<polyline fill="none" stroke="${line.color}" stroke-width="1.5" points="${line.points
            .filter((p) => Number.isFinite(p.value))
            .map((p) => `${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`)
            .join(" ")}"/>`,
      ),
    "</svg>",
    "",
  ];
  return parts.join("\n");
}

function legend(entries: TimeChart["legend"]): string {
  let at = left;
  return entries
    .map(({ label, color }) => {
      const item = `<rect x="${at}" y="30" width="12" height="4" fill="${color}"/><text x="${at + 16}" y="36">${escapeXml(label)}</text>`;
      at += 28 + label.length * 7;
      return item;
    })
    .join("");
}

/** 1, 2 or 5 times a power of ten, at least `value`. */
function niceStep(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= value)!;
}

/** The top of the y axis: four nice steps reaching at least `max`. */
function niceCeiling(max: number): number {
  if (max <= 0) return 1;
  return niceStep(max / 4) * 4;
}

function tickLabel(value: number): string {
  return value.toLocaleString("en", { maximumFractionDigits: value < 10 ? 2 : 0 });
}
