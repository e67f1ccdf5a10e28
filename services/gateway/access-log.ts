// One log line per request served by the gateway, REST or RPC, with its route, outcome and duration; REST timings as metrics.
// Successes are logged at debug level: at thousands of events a second a line each would cost more than the
// request, and the metrics count them all. Refused requests are logged at info, failures at warn.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Histogram, type Registry } from "prom-client";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { codeToString } from "../shared/connect-protocol.js";
import type { Logger } from "../shared/logger.js";
import { latencyBuckets } from "../shared/metrics.js";

export interface RestEntry {
  verb: string;
  /** The route's template, never the raw path: ids would make every line and metric label unique. */
  route: string;
  status: number;
  durationMs: number;
}

export function restAccessLog(logger: Logger, registry: Registry): (entry: RestEntry) => void {
  const duration = new Histogram({
    name: "http_server_duration_seconds",
    help: "Time to serve a REST request, by verb, route template and status.",
    labelNames: ["verb", "route", "status"],
    buckets: latencyBuckets,
    registers: [registry],
  });
  return (entry) => {
    duration.observe({ verb: entry.verb, route: entry.route, status: entry.status }, entry.durationMs / 1000);
    const level = entry.status >= 500 ? "warn" : entry.status >= 400 ? "info" : "debug";
    logger[level]({ verb: entry.verb, route: entry.route, status: entry.status, duration_ms: entry.durationMs }, "request");
  };
}

/** Logs each RPC the gateway serves directly (Connect, gRPC, gRPC-Web); health probes, every few seconds, only in metrics. */
export function rpcAccessLog(logger: Logger): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === Health.typeName) return next(req);
    const started = performance.now();
    const log = (level: "debug" | "info" | "warn", code: string) =>
      logger[level]({ procedure: `${req.service.typeName}/${req.method.name}`, code, duration_ms: elapsed(started) }, "rpc");
    try {
      const res = await next(req);
      log("debug", "ok");
      return res;
    } catch (err) {
      const { code } = ConnectError.from(err);
      log(serverFaults.has(code) ? "warn" : "info", codeToString(code));
      throw err;
    }
  };
}

// Codes that say the service failed, as opposed to refusing the request.
const serverFaults = new Set([Code.Unknown, Code.Internal, Code.Unavailable, Code.DataLoss, Code.DeadlineExceeded]);

export function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
