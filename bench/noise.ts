// Whether two builds measured in alternating rounds differ by more than the runs of one build differ among themselves.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Difference {
  base: Spread;
  head: Spread;
  /** The head's median against the base's, as a fraction: 0.1 is 10% more. */
  change: number;
  /** True when the two builds' ranges overlap: the difference is no larger than the noise of one build. */
  withinNoise: boolean;
}

export function spread(samples: number[]): Spread {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

export function difference(base: number[], head: number[]): Difference {
  const [a, b] = [spread(base), spread(head)];
  // Equal medians are no change, zeros included: a capacity neither build reached is the same figure twice.
  const change = b.median === a.median ? 0 : (b.median - a.median) / a.median;
  return { base: a, head: b, change, withinNoise: a.min <= b.max && b.min <= a.max };
}
