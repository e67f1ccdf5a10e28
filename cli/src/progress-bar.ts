// The progress line of a long send: a bar, how far it is, and the events sent a second.
import { count } from "./format.js";

export interface Progress {
  done: number;
  total: number;
  events: number;
  elapsedMs: number;
}

/** `[#########.........] 5,000/10,000 lines  3,210 events/s`, fitted to the terminal's width. */
export function progressBar({ done, total, events, elapsedMs }: Progress, width = 80): string {
  const rate = elapsedMs > 0 ? Math.round((events * 1000) / elapsedMs) : 0;
  const tail = ` ${count(done)}/${count(total)} lines  ${count(rate)} events/s`;
  const barWidth = Math.max(10, Math.min(40, width - tail.length - 3));
  const filled = total > 0 ? Math.round((barWidth * Math.min(done, total)) / total) : barWidth;
  return `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}]${tail}`;
}
