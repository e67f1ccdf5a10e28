// The rules for an org's inbox settings.
import { retentionDays } from "../shared/api-limits.js";
import { InvalidField } from "../shared/domain-errors.js";

/** Retention shorter than the stream's would leave copies of deleted events on the stream. */
export function requireRetentionDays(days: number): number {
  if (!Number.isInteger(days) || days < retentionDays.min || days > retentionDays.max) {
    throw new InvalidField("retention_days", `retention_days must be from ${retentionDays.min} to ${retentionDays.max}`);
  }
  return days;
}
