// The one rule for event type names, shared by the events ingest accepts and the types subscriptions ask for.

// Types become parts of names and filters: dotted words, so that "order.created" and its kin stay easy to match.
export const eventTypePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const eventTypeRule = "1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

export function isEventType(value: string): boolean {
  return eventTypePattern.test(value);
}

/** Types of this prefix are Triggers' own operational events (a delivery that failed for good, a paused subscription). */
export const operationalTypePrefix = "triggers.";

export function isOperationalType(type: string): boolean {
  return type.startsWith(operationalTypePrefix);
}
