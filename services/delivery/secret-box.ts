// Webhook signing secrets sealed at rest: signing needs the secret itself, so it is encrypted, not hashed, under the
// operator's key (SIGNING_SECRETS_KEY) with AES-256-GCM, and bound to its subscription so that rows cannot swap secrets.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const version = "v1:";
const ivBytes = 12;
const tagBytes = 16;

/** Thrown when a stored secret was sealed under another key, for another subscription, or altered. */
export class UnreadableSecret extends Error {
  constructor(subscriptionId: string, cause?: unknown) {
    super(`the signing secret of subscription ${subscriptionId} cannot be opened with SIGNING_SECRETS_KEY`, { cause });
    this.name = "UnreadableSecret";
  }
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  seal(subscriptionId: string, secret: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv).setAAD(Buffer.from(subscriptionId));
    const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return version + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64");
  }

  open(subscriptionId: string, stored: string): string {
    if (!isSealed(stored)) throw new UnreadableSecret(subscriptionId);
    const bytes = Buffer.from(stored.slice(version.length), "base64");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, bytes.subarray(0, ivBytes))
        .setAAD(Buffer.from(subscriptionId))
        .setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes));
      return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()]).toString("utf8");
    } catch (err) {
      // The cipher says only that authentication failed; which subscription is what the operator needs.
      throw new UnreadableSecret(subscriptionId, err);
    }
  }
}

/** Whether a stored secret is sealed; secrets stored before sealing existed are plain text, sealed at start. */
export function isSealed(stored: string): boolean {
  return stored.startsWith(version);
}
