// How long each part of a run lasts: the full run the report is made of, or the smoke run tests make.

export interface Plan {
  smoke: boolean;
  /** Each floor's load. */
  floorSeconds: number;
  /** Single-event ingest at full speed, and the fixed-rate and delivery runs. */
  loadSeconds: number;
  inboxSeconds: number;
  /** Events stored for the org before its inbox is read. */
  inboxEvents: number;
  /** How long the delivery section waits for the last webhooks. */
  drainSeconds: number;
}

export function planFor(smoke: boolean): Plan {
  return smoke
    ? { smoke, floorSeconds: 1, loadSeconds: 2, inboxSeconds: 1, inboxEvents: 5_000, drainSeconds: 5 }
    : { smoke, floorSeconds: 10, loadSeconds: 20, inboxSeconds: 10, inboxEvents: 1_000_000, drainSeconds: 10 };
}

// The load shapes the issue names: 64 connections flat out, 1,000 events/s, 500 events/s with a subscription,
// and the inbox read by 4 clients.
export const ingestConnections = 64;
export const fixedRate = 1_000;
export const deliveryRate = 500;
export const inboxClients = 4;
