// Signing secrets and the Standard Webhooks signature of a delivery made with them.
import { createHmac, randomBytes } from "node:crypto";

const secretPrefix = "whsec_";
// Standard Webhooks asks for at least 24 random bytes.
const secretBytes = 32;

/** A new signing secret, as shown to the org once: "whsec_" and the key in base64. */
export function newSigningSecret(): string {
  return secretPrefix + randomBytes(secretBytes).toString("base64");
}

/**
 * The webhook-signature header: "v1," and the base64 HMAC-SHA256 of "id.timestamp.body", once per secret, space
 * separated. During a rotation both secrets sign, and a receiver holding either finds a signature it can check.
 */
export function signatureHeader(secrets: string[], webhookId: string, timestamp: number, body: string): string {
  const signed = `${webhookId}.${timestamp}.${body}`;
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(secretPrefix.length), "base64");
      return `v1,${createHmac("sha256", key).update(signed).digest("base64")}`;
    })
    .join(" ");
}

/** A subscription's secrets as stored: the current one, and the one a rotation replaced with the end of its overlap. */
export interface SigningSecrets {
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
}

/** The secrets that sign now: the current one, and the one a rotation replaced until its time is up. */
export function signingSecrets(sub: SigningSecrets, now = new Date()): string[] {
  const previousValid = sub.previous_secret && sub.previous_secret_until && sub.previous_secret_until > now;
  return previousValid ? [sub.secret, sub.previous_secret!] : [sub.secret];
}
