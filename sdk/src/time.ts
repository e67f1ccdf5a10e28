// Times as callers give them (a Date, or RFC 3339 text) and as the messages carry them.
import { type Timestamp, timestampFromDate } from "@bufbuild/protobuf/wkt";

/** A point in time: a Date, or RFC 3339 text such as "2026-11-30T00:00:00Z". */
export type Time = Date | string;

export function toTimestamp(time: Time | undefined, name: string): Timestamp | undefined {
  if (time === undefined) return undefined;
  const date = typeof time === "string" ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) throw new TypeError(`${name} is not a time: ${String(time)}`);
  return timestampFromDate(date);
}
