// Posts at a steady pace: the n-th request leaves at n/rate seconds, whatever became of those before it (an open loop,
// as independent clients are), over kept-alive connections. autocannon's rate sends each second's share in a burst.
import http from "node:http";
import { type Percentiles, percentiles, round } from "./percentiles.js";

export interface PacedOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Requests a second. */
  rate: number;
  durationSeconds: number;
  /** Connections at most; a request finding all busy waits for one, late. */
  connections: number;
  /** Sees every answer's status and body, for sections that follow events past their answer. */
  onAnswer?: (status: number, body: string) => void;
}

export interface PacedResult extends Percentiles {
  /** 2xx answers a second over the run. */
  perSecond: number;
  answered: number;
  /** Failed requests and non-2xx answers. */
  errors: number;
}

// How often the pacer wakes to send what is due: timers are not exact, so each wake sends all that is due by then.
const tickMs = 2;

export async function pacedPosts(options: PacedOptions): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const outcome = { answered: 0, errors: 0 };
  const inFlight = new Set<Promise<void>>();
  const total = Math.round(options.rate * options.durationSeconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate) + 1);
    for (; sent < due; sent++) {
      const request = send(options, agent, latencies, outcome);
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inFlight);
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  return { ...percentiles(latencies), perSecond: round(outcome.answered / seconds, 0), ...outcome };
}

// A request unanswered this long counts as an error, as autocannon's timeout does.
const timeoutMs = 10_000;

function send(options: PacedOptions, agent: http.Agent, latencies: number[], outcome: { answered: number; errors: number }) {
  const started = performance.now();
  return new Promise<void>((resolve) => {
    const failed = () => {
      outcome.errors++;
      resolve();
    };
    const req = http.request(options.url, { method: "POST", agent, headers: options.headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      // An answer cut off midway never ends.
      res.once("aborted", failed);
      res.once("end", () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          outcome.answered++;
          latencies.push(performance.now() - started);
        } else outcome.errors++;
        options.onAnswer?.(status, Buffer.concat(chunks).toString());
        resolve();
      });
    });
    req.once("timeout", () => req.destroy());
    req.once("error", failed);
    req.end(options.body);
  });
}
