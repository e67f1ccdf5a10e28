// Gauges read when metrics are scraped: deliveries waiting for an attempt, and dead letters kept.
import type { JetStreamManager } from "nats";
import { Gauge, type Registry } from "prom-client";
import type { Sql } from "../../shared/database.js";
import { deadLettersStream } from "../../shared/streams.js";

export function registerDepthGauges(registry: Registry, sql: Sql, jsm: JetStreamManager): void {
  new Gauge({
    name: "delivery_pending",
    help: "Deliveries not settled yet: due, in flight, waiting for a retry, or parked with a paused subscription.",
    registers: [registry],
    async collect() {
      const [row] = await sql<{ count: string }[]>`select count(*) from delivery.deliveries where state = 'pending'`;
      this.set(Number(row!.count));
    },
  });
  new Gauge({
    name: "delivery_dead_letters",
    help: "Dead letters kept in the dead-letter stream.",
    registers: [registry],
    async collect() {
      this.set((await jsm.streams.info(deadLettersStream.name)).state.messages);
    },
  });
}
