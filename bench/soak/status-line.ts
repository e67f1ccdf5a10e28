// A line a minute while the soak runs, so that a half-hour run shows how it goes before its report does.
import type { Sample } from "./samples.js";

export function statusLine(sample: Sample, totals: { accepted: number; delivered: number }): string {
  const lag = Object.entries(sample.lag)
    .map(([consumer, messages]) => `${consumer} ${messages ?? "?"}`)
    .join(", ");
  const minutes = (sample.t / 60).toFixed(1);
  return `at ${minutes} min: ${totals.accepted.toLocaleString("en")} accepted, ${totals.delivered.toLocaleString("en")} delivered; lag ${lag}`;
}
