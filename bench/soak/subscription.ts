// The soak's one subscription: every event type, to the flaky receiver.

export async function subscribe(gatewayUrl: string, key: string, url: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/v1/subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ url, event_types: [], description: "soak" }),
  });
  if (!response.ok) throw new Error(`creating the subscription answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}
