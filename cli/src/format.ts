// How values read in text output: times to the second in UTC, enum values by their short lower-case name, JSON on one line.
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

/** `2026-12-05T11:40:01Z`, or `-` when there is no time. */
export function formatTime(time: Timestamp | undefined): string {
  return time
    ? timestampDate(time)
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
    : "-";
}

/** An enum value's name without its type's prefix, in lower case (`DeliveryState.SUCCEEDED` is `succeeded`); `-` when unset. */
export function enumName(names: Record<number, string>, value: number | undefined): string {
  if (value === undefined || value === 0) return "-";
  return (names[value] ?? String(value)).toLowerCase();
}

export function oneLineJson(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value);
}

/** `1,234`: counts read at a glance. */
export function count(value: number): string {
  return value.toLocaleString("en-US");
}
