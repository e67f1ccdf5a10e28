// Single-event ingest: the stack and the one-process alternative flat out, then the stack at a fixed rate.
import { eventBody } from "../event-body.js";
import { runLoad, type LoadResult } from "../load.js";
import { fixedRate, ingestConnections, type Plan } from "../plan.js";

export interface Target {
  url: string;
  key: string;
}

export interface IngestFigures {
  stack: LoadResult;
  alternative: LoadResult;
  fixedRate: LoadResult;
}

export async function measureIngest(plan: Plan, stack: Target, alternative: Target, step: (what: string) => void): Promise<IngestFigures> {
  step("ingest: the stack, 64 connections");
  const stackResult = await post(stack, plan.loadSeconds);
  step("ingest: the one-process alternative, 64 connections");
  const alternativeResult = await post(alternative, plan.loadSeconds);
  step(`ingest: the stack at ${fixedRate} events/s`);
  const fixed = await post(stack, plan.loadSeconds, fixedRate);
  return { stack: stackResult, alternative: alternativeResult, fixedRate: fixed };
}

/** POSTs the bench's event to /v1/events; with a rate, at that many a second over 16 connections. */
export function post(target: Target, durationSeconds: number, rate?: number, onAnswer?: (status: number, body: string) => void) {
  return runLoad({
    url: `${target.url}/v1/events`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${target.key}` },
    body: eventBody,
    connections: rate ? 16 : ingestConnections,
    durationSeconds,
    rate,
    onAnswer,
  });
}
