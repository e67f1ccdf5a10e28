// Whether each durable consumer's lag stayed bounded through the run and was back down at its end.
import type { Sample } from "./samples.js";

export interface LagRule {
  /** The most messages any consumer may hold undelivered or unacknowledged at any sample. */
  max: number;
  /** The most it may hold at the end, after the drain. */
  endMax: number;
}

export interface LagFinding {
  consumer: string;
  peak: number;
  peakAt: number;
  /** Undefined when it could not be read at the end. */
  end: number | undefined;
  /** Samples at which it could not be read (NATS busy, the consumer being made again). */
  unread: number;
  bounded: boolean;
}

export function judgeLag(samples: Sample[], end: Record<string, number | undefined>, rule: LagRule): LagFinding[] {
  const consumers = [...new Set([...samples.flatMap((s) => Object.keys(s.lag)), ...Object.keys(end)])];
  return consumers.map((consumer) => {
    let peak = 0;
    let peakAt = 0;
    let unread = 0;
    for (const sample of samples) {
      const lag = sample.lag[consumer];
      if (lag === undefined) unread++;
      else if (lag > peak) [peak, peakAt] = [lag, sample.t];
    }
    const last = end[consumer];
    return { consumer, peak, peakAt, end: last, unread, bounded: peak <= rule.max && last !== undefined && last <= rule.endMax };
  });
}
