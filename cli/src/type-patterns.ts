// Which event types a list of patterns takes, as subscriptions match them: exact types, and `prefix.*` for every type under a prefix.

export function matchesTypes(patterns: string[], type: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => (pattern.endsWith(".*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}
