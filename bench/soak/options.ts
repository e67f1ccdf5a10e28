// The soak's settings: read once from its flags with a table of defaults, a bad value stopping it with the flag's name.
import { parseArgs } from "node:util";

export interface SoakOptions {
  /** How long events are published. */
  minutes: number;
  /** Events a second published through the gateway. */
  rate: number;
  /** Minutes between kills of a service; 0 kills nothing. */
  killEveryMinutes: number;
  /** Seconds between samples of memory, descriptors, Postgres connections and consumer lag. */
  sampleSeconds: number;
  /** Share of webhook requests the receiver answers 500. */
  failShare: number;
  /**
   * Share of webhooks the receiver answers 2xx without recording them: a broken receiver, to see the soak fail on
   * undelivered events. 0 but when checking the soak itself.
   */
  forgetShare: number;
  /** How long, at most, the soak waits after publishing for the last deliveries and for the consumers to catch up. */
  drainMinutes: number;
  /** Seed of the kills' and the receiver's failures' randomness, so that a run can be repeated. */
  seed: number;
  /** Where the report goes. */
  out: string;
}

const defaults = {
  minutes: 30,
  rate: 200,
  "kill-every": 3,
  "sample-seconds": 5,
  "fail-share": 0.2,
  "forget-share": 0,
  // Covers a delivery's eleven attempts (its retries wait some 3.6 minutes at most) after the last publish.
  "drain-minutes": 5,
} as const;

/** Thrown for a flag whose value is not one the soak can run with. */
export class SoakOptionError extends Error {
  constructor(flag: string, expected: string, got: string) {
    super(`--${flag}: expected ${expected}, got "${got}"`);
    this.name = "SoakOptionError";
  }
}

export function readOptions(args: string[] = process.argv.slice(2)): SoakOptions {
  const { values } = parseArgs({
    args,
    options: {
      minutes: { type: "string" },
      rate: { type: "string" },
      "kill-every": { type: "string" },
      "sample-seconds": { type: "string" },
      "fail-share": { type: "string" },
      "forget-share": { type: "string" },
      "drain-minutes": { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
    },
  });
  const number = (flag: keyof typeof defaults, min: number, max: number): number => {
    const raw = values[flag];
    if (raw === undefined) return defaults[flag];
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
      throw new SoakOptionError(flag, `a number from ${min} to ${max}`, raw);
    }
    return value;
  };
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new SoakOptionError("seed", "a whole number", values.seed!);
  return {
    minutes: number("minutes", 0.5, 24 * 60),
    rate: number("rate", 1, 5_000),
    killEveryMinutes: number("kill-every", 0, 24 * 60),
    sampleSeconds: number("sample-seconds", 1, 60),
    failShare: number("fail-share", 0, 0.9),
    forgetShare: number("forget-share", 0, 1),
    drainMinutes: number("drain-minutes", 0.5, 60),
    seed,
    out: values.out ?? new URL("../results/", import.meta.url).pathname,
  };
}
