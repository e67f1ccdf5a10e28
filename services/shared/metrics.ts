// Prometheus metrics of the process: Node's defaults plus the duration and outcome of every RPC served.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { codeToString } from "./connect-protocol.js";

/** Latency histogram buckets in seconds, from a millisecond to five seconds, for RPCs and REST requests alike. */
export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const rpcDuration = new Histogram({
    name: "rpc_server_duration_seconds",
    help: "Time to serve an RPC, by method and Connect code.",
    labelNames: ["method", "code"],
    buckets: latencyBuckets,
    registers: [registry],
  });

  /** Starts timing an RPC; the returned function records it with its outcome, "ok" or a Connect code name. */
  const timeRpc = (method: string) => rpcDuration.startTimer({ method }) as (labels: { code: string }) => void;

  const measureRpcs: Interceptor = (next) => async (req) => {
    const stop = timeRpc(`${req.service.typeName}/${req.method.name}`);
    try {
      const res = await next(req);
      stop({ code: "ok" });
      return res;
    } catch (err) {
      stop({ code: codeToString(ConnectError.from(err).code) });
      throw err;
    }
  };

  return { registry, measureRpcs, timeRpc };
}

export type Metrics = ReturnType<typeof createMetrics>;
