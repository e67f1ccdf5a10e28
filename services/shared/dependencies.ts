// Watches what a service cannot serve without (NATS, Postgres) and reports each to its health, for readiness probes.
import type { NatsConnection } from "nats";
import postgres from "postgres";
import type { HealthStatus } from "./health.js";
import type { Logger } from "./logger.js";

/** Starts watching one dependency; returns what stops it. */
export type Dependency = (health: HealthStatus) => () => Promise<void>;

// How often the database is asked whether it answers; a check still unanswered at the next is a database down.
const databaseCheckMs = 2_000;

/** NATS is down from a disconnection until the client has reconnected (to this server or another of its cluster). */
export function natsDependency(nc: NatsConnection, logger: Logger): Dependency {
  return (health) => {
    let watching = true;
    health.dependency("nats", true);
    const watch = async () => {
      // The statuses end when the connection closes, at shutdown.
      for await (const status of nc.status()) {
        if (watching && status.type === "disconnect") health.dependency("nats", false);
        if (watching && status.type === "reconnect") health.dependency("nats", true);
      }
    };
    watch().catch((err: unknown) => logger.error({ err }, "watching the NATS connection failed"));
    return async () => {
      watching = false;
    };
  };
}

/**
 * The database is down while a trivial query fails, or takes longer than the interval between checks. The checks
 * have a connection of their own: behind the service's busy pool they would find every replica down at once.
 */
export function databaseDependency(url: string, logger: Logger): Dependency {
  return (health) => {
    const sql = postgres(url, { max: 1, connect_timeout: databaseCheckMs / 1000, onnotice: () => {} });
    let pending = false;
    let up = true;
    const report = (now: boolean, err?: unknown) => {
      if (now !== up) logger.warn({ err, database: now ? "up" : "down" }, "database reachability changed");
      up = now;
      health.dependency("database", now);
    };
    const timer = setInterval(() => {
      if (pending) return report(false);
      pending = true;
      sql`select 1`
        .then(
          () => report(true),
          (err: unknown) => report(false, err),
        )
        .finally(() => {
          pending = false;
        });
    }, databaseCheckMs);
    return async () => {
      clearInterval(timer);
      await sql.end({ timeout: 1 });
    };
  };
}
