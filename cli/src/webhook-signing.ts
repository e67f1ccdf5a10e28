// Standard Webhooks signatures for listen's local POSTs: a whsec_ secret, and webhook-id, webhook-timestamp, webhook-signature headers.
import { createHmac, randomBytes } from "node:crypto";

const prefix = "whsec_";

/** A new secret, `whsec_` and the base64 of 32 random bytes, as subscriptions' are. */
export function newSigningSecret(): string {
  return `${prefix}${randomBytes(32).toString("base64")}`;
}

/** The headers that let a receiver verify the body with its Standard Webhooks library, as Triggers' own webhooks do. */
export function webhookHeaders(secret: string, id: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const key = Buffer.from(secret.slice(prefix.length), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}
