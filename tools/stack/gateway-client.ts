// The two public gateway calls the launcher and the test harness make: create an org, check an API key.
export interface CreatedOrg {
  orgId: string;
  /** The org's first API key secret (`tk_...`); the gateway shows it only once. */
  key: string;
}

export class GatewayCallError extends Error {
  constructor(
    readonly status: number,
    what: string,
    body: string,
  ) {
    super(`${what} answered ${status}: ${body.slice(0, 500)}`);
    this.name = "GatewayCallError";
  }
}

/** An org's plan, as POST /v1/orgs takes it. */
export interface PlanChoice {
  plan: "free" | "pro" | "business" | "custom";
  /** Only for a custom plan. */
  events_per_minute?: number;
}

/** POST /v1/orgs with the admin token. */
export async function createOrg(gatewayUrl: string, adminToken: string, name: string, plan: PlanChoice): Promise<CreatedOrg> {
  const response = await fetch(`${gatewayUrl}/v1/orgs`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name, ...plan }),
  });
  const text = await response.text();
  if (!response.ok) throw new GatewayCallError(response.status, "POST /v1/orgs", text);
  const body = JSON.parse(text) as { org?: { id?: string }; api_key?: { secret?: string } };
  if (!body.org?.id || !body.api_key?.secret) throw new GatewayCallError(response.status, "POST /v1/orgs (no org id or key)", text);
  return { orgId: body.org.id, key: body.api_key.secret };
}

/** True when GET /v1/inbox accepts the key. */
export async function keyAccepted(gatewayUrl: string, key: string): Promise<boolean> {
  const response = await fetch(`${gatewayUrl}/v1/inbox`, { headers: { authorization: `Bearer ${key}` } });
  await response.body?.cancel();
  return response.ok;
}
