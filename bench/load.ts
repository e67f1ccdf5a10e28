// Drives HTTP load with autocannon and measures what the report needs: answers a second, latency percentiles, errors.
import autocannon from "autocannon";
import { type Percentiles, percentiles, round } from "./percentiles.js";

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Requests a second across all connections; unset means as fast as the server answers. */
  rate?: number;
  /** Sees every answer's status and body, for sections that follow events past their answer. */
  onAnswer?: (status: number, body: string) => void;
}

export interface LoadResult extends Percentiles {
  /** 2xx answers a second over the run. */
  perSecond: number;
  answered: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        overallRate: options.rate,
        timeout: 10,
        requests: [
          {
            method: options.method ?? "GET",
            headers: options.headers,
            body: options.body,
            onResponse: options.onAnswer && ((status, body) => options.onAnswer!(status, body)),
          },
        ],
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    // autocannon's own histogram has no 95th percentile: every answer's latency is kept here instead.
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  return {
    ...percentiles(latencies),
    perSecond: round(result["2xx"] / result.duration, 0),
    answered: result["2xx"],
    errors: result.errors + result.non2xx,
  };
}
