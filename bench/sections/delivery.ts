// Delivery's capacity: events posted at fixed rates stepped up, each to one subscription, timed from the publish's
// answer to the webhook's arrival; the capacity is the highest rate delivered whole with p95 within the bound.
import { cpuSeconds } from "../cpu.js";
import { eventBody } from "../event-body.js";
import { pacedPosts } from "../paced-load.js";
import { type Percentiles, percentiles } from "../percentiles.js";
import type { Plan } from "../plan.js";
import { postgresCpuSeconds } from "../postgres-cpu.js";
import { type Receiver, startReceiver } from "../receiver.js";
import type { Target } from "./ingest.js";

export interface DeliveryStep extends Percentiles {
  /** Events a second the load asked for. */
  rate: number;
  /** Events the load asked for in all. */
  asked: number;
  accepted: number;
  delivered: number;
  errors: number;
  /** The delivery service's CPU per delivered event, load and drain together. */
  deliveryCpuUs: number;
  /** Every Postgres process's CPU per accepted event: the inbox's writes as much as delivery's. */
  postgresCpuUs: number;
  /** For the first few accepted events that never arrived: their id and what their attempts recorded. */
  undelivered: string[];
}

export interface DeliveryFigures {
  steps: DeliveryStep[];
  /** The highest rate whose every event arrived with p95 within the bound; 0 when none did. */
  capacity: number;
}

/** A rate is kept up with when every event arrives and p95 from answer to webhook stays at or under this. */
export const capacityP95Ms = 100;
// ...and when the stack accepted the rate asked for: one that answers too slowly holds the generator back.
const minAcceptedShare = 0.95;
// Connections the generator may open: enough that the stack's answers, not the generator, set the pace.
const generatorConnections = 64;

// Enough to see a pattern; the count is in delivered.
const undeliveredShown = 10;

export async function measureDelivery(
  plan: Plan,
  stack: Target,
  deliveryPid: number | undefined,
  step: (what: string) => void,
): Promise<DeliveryFigures> {
  const receiver = await startReceiver();
  const subscriptionId = await subscribe(stack, receiver.url);
  try {
    // A first round unmeasured: a cold process's first seconds (compiling, filling pools) are no rate's figure.
    await measureRate({ ...plan, loadSeconds: Math.min(5, plan.loadSeconds) }, stack, receiver, deliveryPid, plan.deliveryRates[0]!, step);
    const steps: DeliveryStep[] = [];
    for (const rate of plan.deliveryRates) {
      const measured = await measureRate(plan, stack, receiver, deliveryPid, rate, step);
      steps.push(measured);
      // The first rate not kept up with ends the climb: higher ones would only pile up a longer backlog.
      if (!keptUp(measured)) break;
    }
    return { steps, capacity: Math.max(0, ...steps.filter(keptUp).map((s) => s.rate)) };
  } finally {
    await unsubscribe(stack, subscriptionId);
    await receiver.close();
  }
}

export function keptUp(s: DeliveryStep): boolean {
  return s.accepted >= minAcceptedShare * s.asked && s.delivered === s.accepted && s.p95 <= capacityP95Ms;
}

async function measureRate(
  plan: Plan,
  stack: Target,
  receiver: Receiver,
  deliveryPid: number | undefined,
  rate: number,
  step: (what: string) => void,
): Promise<DeliveryStep> {
  step(`delivery: ${rate} events/s to one subscription`);
  const cpuBefore = await Promise.all([cpuSeconds(deliveryPid), postgresCpuSeconds()]);
  const answered = new Map<string, number>();
  const load = await pacedPosts({
    url: `${stack.url}/v1/events`,
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.key}` },
    body: eventBody,
    rate,
    durationSeconds: plan.loadSeconds,
    connections: generatorConnections,
    onAnswer: (status, body) => {
      if (status === 200) answered.set((JSON.parse(body) as { id: string }).id, performance.now());
    },
  });
  step(`delivery: waiting for the last webhooks at ${rate} events/s`);
  const deadline = performance.now() + plan.drainSeconds * 1000;
  // Count by id, not by size: an event whose answer the load generator cut off at the end still arrives.
  const stillMissing = () => [...answered.keys()].filter((id) => !receiver.arrivals.has(id));
  while (stillMissing().length > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const cpuAfter = await Promise.all([cpuSeconds(deliveryPid), postgresCpuSeconds()]);
  // A webhook can beat the answer to its own publish back to the client: that is no wait at all.
  const latencies = [...answered].flatMap(([id, at]) => {
    const arrived = receiver.arrivals.get(id);
    return arrived === undefined ? [] : [Math.max(0, arrived - at)];
  });
  const missing = stillMissing();
  const perEvent = (before: number | undefined, after: number | undefined, events: number) =>
    before === undefined || after === undefined || events === 0 ? Number.NaN : Math.round(((after - before) * 1e6) / events);
  return {
    rate,
    asked: rate * plan.loadSeconds,
    ...percentiles(latencies),
    accepted: answered.size,
    delivered: latencies.length,
    errors: load.errors,
    deliveryCpuUs: perEvent(cpuBefore[0], cpuAfter[0], latencies.length),
    postgresCpuUs: perEvent(cpuBefore[1], cpuAfter[1], answered.size),
    undelivered: await Promise.all(missing.slice(0, undeliveredShown).map((id) => attemptsOf(stack, id))),
  };
}

async function subscribe(stack: Target, url: string): Promise<string> {
  const res = await fetch(`${stack.url}/v1/subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.key}` },
    body: JSON.stringify({ url, event_types: [] }),
  });
  if (!res.ok) throw new Error(`creating the subscription answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function unsubscribe(stack: Target, id: string): Promise<void> {
  const res = await fetch(`${stack.url}/v1/subscriptions/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${stack.key}` } });
  await res.body?.cancel();
}

// An undelivered event's story as the API tells it: each attempt's status and error, or that there was none.
async function attemptsOf(stack: Target, eventId: string): Promise<string> {
  const res = await fetch(`${stack.url}/v1/events/${eventId}/deliveries`, { headers: { authorization: `Bearer ${stack.key}` } });
  if (!res.ok) return `${eventId}: listing its deliveries answered ${res.status}`;
  const { deliveries = [] } = (await res.json()) as {
    deliveries?: { attempts?: { status: string; response_status: number; error: string }[] }[];
  };
  const attempts = deliveries.flatMap((delivery) => delivery.attempts ?? []);
  const told = attempts.map((a) => [a.status, a.response_status || "", a.error].filter(Boolean).join(" "));
  return `${eventId}: ${told.length > 0 ? told.join("; ") : "no attempt"}`;
}
