// Every accepted event accounted for: in the inbox at the end, received by the webhook, and how often.

export interface EventAccount {
  /** Publishes answered 2xx, each with its event's id. */
  accepted: number;
  /** Accepted events the inbox does not hold at the end. */
  lost: string[];
  /** Accepted events the webhook never received (answered 2xx). */
  undelivered: string[];
  /** Deliveries beyond an event's first: at-least-once allows them, the report counts them. */
  duplicateDeliveries: number;
  /** Events delivered more than once. */
  eventsDeliveredTwice: number;
  /** Events the inbox holds that no 2xx answer named: a publish whose answer a kill cut off. */
  unanswered: number;
}

export function accountForEvents(accepted: Iterable<string>, inbox: Set<string>, deliveries: Map<string, number>): EventAccount {
  const ids = new Set(accepted);
  const lost: string[] = [];
  const undelivered: string[] = [];
  for (const id of ids) {
    if (!inbox.has(id)) lost.push(id);
    if (!deliveries.has(id)) undelivered.push(id);
  }
  let duplicateDeliveries = 0;
  let eventsDeliveredTwice = 0;
  for (const count of deliveries.values()) {
    if (count > 1) {
      duplicateDeliveries += count - 1;
      eventsDeliveredTwice++;
    }
  }
  const unanswered = [...inbox].filter((id) => !ids.has(id)).length;
  return { accepted: ids.size, lost, undelivered, duplicateDeliveries, eventsDeliveredTwice, unanswered };
}
