// The rules a new key's name, scopes and allowlist follow, and a rotation's grace period.
import { maxGraceSeconds, maxKeyCidrs, maxKeyNameLength } from "../shared/api-limits.js";
import { InvalidField } from "../shared/domain-errors.js";
import { normalCidr } from "../shared/networks.js";
import { scopes as allScopes, isScope } from "../shared/scopes.js";

const defaultGraceSeconds = 24 * 60 * 60;

export function keyName(raw: string): string {
  const name = raw.trim();
  if (name.length > maxKeyNameLength) throw new InvalidField("name", `name is longer than ${maxKeyNameLength} characters`);
  return name;
}

/** The scopes asked for, without repeats, in the product's order; at least one. */
export function keyScopes(raw: string[]): string[] {
  if (raw.length === 0) throw new InvalidField("scopes", `scopes must name at least one of ${allScopes.join(", ")}`);
  raw.forEach((scope, index) => {
    if (!isScope(scope)) throw new InvalidField("scopes", `scopes[${index}] must be one of ${allScopes.join(", ")}`);
  });
  return allScopes.filter((scope) => raw.includes(scope));
}

/** The addresses or CIDR blocks a key may be used from, normalised; empty means any. */
export function allowedCidrs(raw: string[]): string[] {
  if (raw.length > maxKeyCidrs) throw new InvalidField("allowed_cidrs", `allowed_cidrs holds more than ${maxKeyCidrs} blocks`);
  const cidrs = raw.map((text, index) => {
    const cidr = normalCidr(text);
    if (!cidr)
      throw new InvalidField("allowed_cidrs", `allowed_cidrs[${index}] must be an IP address or a CIDR block such as 203.0.113.0/24`);
    return cidr;
  });
  return [...new Set(cidrs)];
}

export function graceSeconds(raw: number | undefined): number {
  if (raw === undefined) return defaultGraceSeconds;
  if (raw > maxGraceSeconds)
    throw new InvalidField("grace_period_seconds", `grace_period_seconds must be at most ${maxGraceSeconds} (30 days)`);
  return raw;
}
