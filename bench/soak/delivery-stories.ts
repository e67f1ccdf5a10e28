// What became of an undelivered event, as the API tells it: each delivery's state, its next attempt, and its attempts'
// answers. A delivery still pending when the drain ended is late, not lost; one with no delivery at all is lost.

interface DeliveryView {
  state?: string;
  next_attempt_at?: string;
  attempts?: { response_status?: number; error?: string; started_at?: string }[];
}

export async function deliveryStory(gatewayUrl: string, key: string, eventId: string): Promise<string> {
  try {
    const response = await fetch(`${gatewayUrl}/v1/events/${eventId}/deliveries`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) return `${eventId}: listing its deliveries answered ${response.status}`;
    const { deliveries = [] } = (await response.json()) as { deliveries?: DeliveryView[] };
    if (deliveries.length === 0) return `${eventId}: no delivery`;
    return `${eventId}: ${deliveries.map(describe).join("; ")}`;
  } catch (error) {
    return `${eventId}: listing its deliveries failed (${(error as Error).message})`;
  }
}

function describe(delivery: DeliveryView): string {
  const state = (delivery.state ?? "DELIVERY_STATE_UNSPECIFIED").replace("DELIVERY_STATE_", "").toLowerCase();
  const attempts = delivery.attempts ?? [];
  const answers = attempts.map((a) => a.response_status || a.error || "no answer").join(", ");
  const first = attempts[0]?.started_at ? `, the first at ${attempts[0].started_at}` : "";
  const next = delivery.next_attempt_at ? `, the next due at ${delivery.next_attempt_at}` : "";
  return `${state} after ${attempts.length} attempts (${answers})${first}${next}`;
}
