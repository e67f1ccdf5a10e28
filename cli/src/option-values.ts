// Parsers for option values, so that a bad one is refused before anything is sent (commander reports it, exit code 2).
import { InvalidArgumentError } from "@commander-js/extra-typings";

const unitsMs: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A time: RFC 3339 (`2026-12-01T00:00:00Z`, or a date), or how long ago (`90s`, `15m`, `2h`, `7d`, `1w`). */
export function timeValue(value: string, now = Date.now()): Date {
  const ago = /^(\d+)([smhdw])$/.exec(value);
  if (ago) return new Date(now - Number(ago[1]) * unitsMs[ago[2]!]!);
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError("give an RFC 3339 time (2026-12-01T00:00:00Z) or how long ago (15m, 2h, 7d).");
  }
  return date;
}

/** A whole number from min to max. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}.`);
    return number;
  };
}

/** A repeatable option whose values may also be comma-separated: `--types a,b --types c` is a, b and c. */
export function listValue(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(",")
      .map((each) => each.trim())
      .filter(Boolean),
  ];
}

/** An http or https URL. */
export function urlValue(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new InvalidArgumentError("give an http or https URL, such as http://127.0.0.1:8080.");
  }
  return value;
}
