// The one rule for event type names, shared by the events ingest accepts and the types subscriptions ask for.

// Types become parts of names and filters: dotted words, so that "order.created" and its kin stay easy to match.
export const eventTypePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const eventTypeRule = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit";

export function isEventType(value: string): boolean {
  return eventTypePattern.test(value);
}
