// The metrics of webhook attempts: how many, by outcome and status class, and how long a delivery took to succeed.
import { Counter, Histogram, type Registry } from "prom-client";
import type { AttemptRecord } from "../deliveries.js";

export function createAttemptMetrics(registry: Registry) {
  const attempts = new Counter({
    name: "delivery_attempts_total",
    help: "Webhook attempts made, by outcome and by the answer's status class (none when there was no answer).",
    labelNames: ["outcome", "status_class"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "delivery_latency_seconds",
    help: "From a delivery's creation to its successful attempt.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86400],
    registers: [registry],
  });

  return {
    count({ delivery, outcome }: AttemptRecord): void {
      const statusClass = outcome.responseStatus ? `${Math.floor(outcome.responseStatus / 100)}xx` : "none";
      attempts.inc({ outcome: outcome.status, status_class: statusClass });
      if (outcome.status === "succeeded") latency.observe((Date.now() - delivery.createdAt.getTime()) / 1000);
    },
  };
}

export type AttemptMetrics = ReturnType<typeof createAttemptMetrics>;
