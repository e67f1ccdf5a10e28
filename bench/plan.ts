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
  /** How long the delivery section waits for the last webhooks of each rate. */
  drainSeconds: number;
  /** The delivery section's rates, climbed in order until one is not kept up with. */
  deliveryRates: number[];
}

export function planFor(smoke: boolean): Plan {
  return smoke
    ? // A page's read gets 5 s: a loaded machine can take longer than 1 s to answer the first, and a read that never
      // answers within its time leaves the figure empty.
      { smoke, floorSeconds: 1, loadSeconds: 2, inboxSeconds: 5, inboxEvents: 5_000, drainSeconds: 5, deliveryRates: [100, 200] }
    : {
        smoke,
        floorSeconds: 10,
        loadSeconds: 20,
        inboxSeconds: 10,
        inboxEvents: 1_000_000,
        drainSeconds: 10,
        deliveryRates: [250, 500, 750, 1_000, 1_500, 2_000, 3_000],
      };
}

// The load shapes the issues name: 64 connections flat out, 1,000 events/s, and the inbox read by 4 clients.
export const ingestConnections = 64;
export const fixedRate = 1_000;
export const inboxClients = 4;
