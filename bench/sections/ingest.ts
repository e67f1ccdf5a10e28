// Single-event ingest: the stack and the one-process alternative flat out, then each at a fixed rate.
import { type CpuByProcess, cpuPerAnswer } from "../cpu.js";
import { eventBody } from "../event-body.js";
import { type LoadResult, runLoad } from "../load.js";
import { type PacedResult, pacedPosts } from "../paced-load.js";
import { fixedRate, ingestConnections, type Plan } from "../plan.js";
import { postgresCpuSeconds } from "../postgres-cpu.js";

export interface Target {
  url: string;
  key: string;
}

export interface IngestFigures {
  stack: LoadResult;
  alternative: LoadResult;
  fixedRate: PacedResult;
  /** The alternative at the same fixed rate: what one process on this machine answers in, the floor of the stack's. */
  alternativeFixedRate: PacedResult;
  /**
   * CPU microseconds per event at 64 connections: each service's, NATS's and Postgres's under the stack's load; the
   * alternative's process's and Postgres's under its own. Postgres's is every Postgres process's on the machine.
   */
  cpuPerEvent: {
    stack: CpuByProcess;
    nats: number | undefined;
    postgres: number | undefined;
    alternative: number | undefined;
    alternativePostgres: number | undefined;
  };
}

/** The processes whose CPU is counted: the stack's services by name, its nats-server, and the alternative's one. */
export interface IngestProcesses {
  stack: Record<string, number | undefined>;
  nats: number | undefined;
  alternative: number;
}

export async function measureIngest(
  plan: Plan,
  stack: Target,
  alternative: Target,
  processes: IngestProcesses,
  step: (what: string) => void,
): Promise<IngestFigures> {
  step("ingest: the stack, 64 connections");
  const stackRun = await cpuPerAnswer({ ...processes.stack, nats: processes.nats, postgres: postgresCpuSeconds }, () =>
    post(stack, plan.loadSeconds),
  );
  step("ingest: the one-process alternative, 64 connections");
  const alternativeRun = await cpuPerAnswer({ alternative: processes.alternative, postgres: postgresCpuSeconds }, () =>
    post(alternative, plan.loadSeconds),
  );
  step(`ingest: the stack at ${fixedRate} events/s`);
  const fixed = await postPaced(stack, plan.loadSeconds);
  step(`ingest: the one-process alternative at ${fixedRate} events/s`);
  const alternativeFixed = await postPaced(alternative, plan.loadSeconds);
  const { nats, postgres, ...services } = stackRun.cpuUs;
  return {
    stack: stackRun.result,
    alternative: alternativeRun.result,
    fixedRate: fixed,
    alternativeFixedRate: alternativeFixed,
    cpuPerEvent: {
      stack: services,
      nats,
      postgres,
      alternative: alternativeRun.cpuUs.alternative,
      alternativePostgres: alternativeRun.cpuUs.postgres,
    },
  };
}

/** POSTs the bench's event to /v1/events over 64 connections, each sending its next as soon as it is answered. */
export function post(target: Target, durationSeconds: number) {
  return runLoad({
    url: `${target.url}/v1/events`,
    method: "POST",
    headers: publishHeaders(target),
    body: eventBody,
    connections: ingestConnections,
    durationSeconds,
  });
}

/**
 * POSTs the bench's event at the fixed rate, paced evenly (see paced-load.ts): autocannon's rate sends each second's
 * share in a burst and waits while a server stalls, so its p99 was the burst queueing behind itself.
 */
export function postPaced(target: Target, durationSeconds: number) {
  return pacedPosts({
    url: `${target.url}/v1/events`,
    headers: publishHeaders(target),
    body: eventBody,
    rate: fixedRate,
    durationSeconds,
    connections: ingestConnections,
  });
}

function publishHeaders(target: Target): Record<string, string> {
  return { "content-type": "application/json", authorization: `Bearer ${target.key}` };
}
