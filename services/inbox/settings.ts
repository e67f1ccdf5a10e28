// The rules for an org's inbox settings.
import { InvalidField } from "../shared/domain-errors.js";
import { eventsKeptDays } from "../shared/streams.js";

export const maxRetentionDays = 365;

/** Retention shorter than the stream's would leave copies of deleted events on the stream. */
export function requireRetentionDays(days: number): number {
  if (!Number.isInteger(days) || days < eventsKeptDays || days > maxRetentionDays) {
    throw new InvalidField("retention_days", `retention_days must be from ${eventsKeptDays} to ${maxRetentionDays}`);
  }
  return days;
}
