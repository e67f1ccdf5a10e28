// Samples the stack every few seconds: each service process's memory and descriptors, Postgres connections, consumer
// lag, and the rates of publishing, delivery and reading since the last sample.
import postgres from "postgres";
import { type ConsumerLag, openLagReader } from "./consumer-lag.js";
import { countConnections } from "./postgres-connections.js";
import { lookAt, type ProcessLook } from "./process-readings.js";
import type { ProcessReading, Rates, Sample } from "./samples.js";
import { acceptedConnections, type TcpSocket, tcpSockets } from "./tcp-sockets.js";

export interface SampledStack {
  /** Each service's current process. */
  pids: Partial<Record<string, number>>;
  adminUrls: Record<string, string>;
  databaseUrl: string;
  natsUrl: string;
}

export class Sampler {
  readonly samples: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> = Promise.resolve();
  #previous: { at: number; counts: Rates } | undefined;
  #closed = false;

  private constructor(
    private readonly stack: SampledStack,
    private readonly counts: () => Rates,
    private readonly startedAt: number,
    private readonly sql: postgres.Sql,
    private readonly lag: Awaited<ReturnType<typeof openLagReader>>,
  ) {}

  /** `counts`: the running totals the rates are made of; `startedAt`: performance.now() when publishing began. */
  static async open(stack: SampledStack, counts: () => Rates, startedAt: number): Promise<Sampler> {
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    return new Sampler(stack, counts, startedAt, sql, await openLagReader(stack.natsUrl));
  }

  start(everySeconds: number): void {
    this.#previous = { at: performance.now(), counts: this.counts() };
    this.#timer = setInterval(() => {
      // A slow sample (a service restarting, a busy machine) is not overlapped by the next.
      this.#sampling = this.#sampling.then(() => this.#sample());
    }, everySeconds * 1000);
  }

  /** Each consumer's lag now, for the verdict's end. */
  async lagNow(): Promise<Record<string, number | undefined>> {
    return totals(await this.lag.read());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#sampling;
    await this.lag.close();
    await this.sql.end({ timeout: 5 });
  }

  async #sample(): Promise<void> {
    const at = performance.now();
    const running = Object.entries(this.stack.pids).filter((entry): entry is [string, number] => entry[1] !== undefined);
    const [looks, lag] = await Promise.all([
      Promise.all(running.map(([service, pid]) => lookAt(service, pid, this.stack.adminUrls[service]!))),
      this.lag.read(),
    ]);
    const tcp = await tcpSockets();
    const sockets = new Map(looks.map((look) => [look.reading.service, look.socketInodes]));
    const database = decodeURIComponent(new URL(this.stack.databaseUrl).pathname.slice(1));
    const connections = await countConnections(this.sql, database, sockets, tcp);
    const counts = this.counts();
    const previous = this.#previous!;
    const seconds = (at - previous.at) / 1000;
    const rates = Object.fromEntries(
      Object.entries(counts).map(([name, total]) => [name, (total - previous.counts[name as keyof Rates]) / seconds]),
    ) as unknown as Rates;
    this.#previous = { at, counts };
    this.samples.push({
      t: (at - this.startedAt) / 1000,
      // A process gone between the listing and the look (just killed) left no readings worth keeping.
      processes: looks.map((look) => ownDescriptors(look, tcp)).filter((r) => r.rssBytes !== undefined || r.heapBytes !== undefined),
      postgres: connections,
      lag: totals(lag),
      unacknowledged: Object.fromEntries(Object.entries(lag).map(([name, l]) => [name, l?.unacknowledged])),
      rates,
    });
  }
}

function totals(lag: Record<string, ConsumerLag | undefined>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(lag).map(([name, l]) => [name, l && l.pending + l.unacknowledged]));
}

/** The reading with the connections others opened to the process counted apart from the descriptors it holds itself. */
function ownDescriptors({ reading, socketInodes }: ProcessLook, tcp: Map<string, TcpSocket>): ProcessReading {
  if (reading.fds === undefined) return reading;
  const accepted = acceptedConnections(socketInodes, tcp);
  return { ...reading, fds: reading.fds - accepted, acceptedConnections: accepted };
}
