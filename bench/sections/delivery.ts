// Delivery: events posted at a fixed rate to an org with one subscription, timed from the ingest answer to the receiver.
import { type Percentiles, percentiles } from "../percentiles.js";
import { deliveryRate, type Plan } from "../plan.js";
import { startReceiver } from "../receiver.js";
import { post, type Target } from "./ingest.js";

export interface DeliveryFigures extends Percentiles {
  accepted: number;
  delivered: number;
  errors: number;
  /** For the first few accepted events that never arrived: their id and what their attempts recorded. */
  undelivered: string[];
}

// Enough to see a pattern; the count is in delivered.
const undeliveredShown = 10;

export async function measureDelivery(plan: Plan, stack: Target, step: (what: string) => void): Promise<DeliveryFigures> {
  const receiver = await startReceiver();
  const subscriptionId = await subscribe(stack, receiver.url);
  try {
    step(`delivery: ${deliveryRate} events/s to one subscription`);
    const answered = new Map<string, number>();
    const load = await post(stack, plan.loadSeconds, deliveryRate, (status, body) => {
      if (status === 200) answered.set((JSON.parse(body) as { id: string }).id, performance.now());
    });
    step("delivery: waiting for the last webhooks");
    const deadline = performance.now() + plan.drainSeconds * 1000;
    // Count by id, not by size: an event whose answer the load generator cut off at the end still arrives.
    const stillMissing = () => [...answered.keys()].filter((id) => !receiver.arrivals.has(id));
    while (stillMissing().length > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // A webhook can beat the answer to its own publish back to the client: that is no wait at all.
    const latencies = [...answered].flatMap(([id, at]) => {
      const arrived = receiver.arrivals.get(id);
      return arrived === undefined ? [] : [Math.max(0, arrived - at)];
    });
    const missing = stillMissing();
    const undelivered = await Promise.all(missing.slice(0, undeliveredShown).map((id) => attemptsOf(stack, id)));
    return { ...percentiles(latencies), accepted: answered.size, delivered: latencies.length, errors: load.errors, undelivered };
  } finally {
    await unsubscribe(stack, subscriptionId);
    await receiver.close();
  }
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
