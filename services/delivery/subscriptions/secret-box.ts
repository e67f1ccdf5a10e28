// Webhook signing secrets sealed at rest: signing needs the secret itself, so it is encrypted, not hashed, under the
// operator's key (SIGNING_SECRETS_KEY) with AES-256-GCM, and bound to its subscription so that rows cannot swap secrets.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** How a sealed secret begins, so that it is told from a plain one (`whsec_`) in the same column. */
export const sealedPrefix = "v1:";
const plainPrefix = "whsec_";
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
    return sealedPrefix + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64");
  }

  /**
   * The secret, from what is stored. A plain secret passes: a replica of a release before sealing may still be
   * writing them during a rolling update, and the next start of delivery seals it.
   */
  open(subscriptionId: string, stored: string): string {
    if (stored.startsWith(plainPrefix)) return stored;
    const bytes = Buffer.from(stored.slice(sealedPrefix.length), "base64");
    if (!isSealed(stored) || bytes.length <= ivBytes + tagBytes) throw new UnreadableSecret(subscriptionId);
    try {
      // The tag's length is fixed here: otherwise a shortened tag, far easier to forge, would be checked as given.
      const decipher = createDecipheriv("aes-256-gcm", this.#key, bytes.subarray(0, ivBytes), { authTagLength: tagBytes })
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
  return stored.startsWith(sealedPrefix);
}
