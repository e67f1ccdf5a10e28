// Webhook signing secrets sealed at rest: signing needs the secret itself, so it is encrypted, not hashed, under the
// operator's keys (SIGNING_SECRETS_KEYS, or SIGNING_SECRETS_KEY alone) with AES-256-GCM, bound to its subscription so
// that rows cannot swap secrets, and naming the key that sealed it so that the key can be rotated.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ConfigError } from "../../shared/config.js";

/** A key that seals signing secrets, and the id that what it sealed names it by. */
export interface SigningKey {
  id: string;
  key: Buffer;
}

/**
 * The id of SIGNING_SECRETS_KEY's key. The secrets sealed before keys had ids (`v1:`) were sealed under it, and it
 * still seals in that format: a replica of the release before ids, running beside new ones during the upgrade, reads
 * everything they write.
 */
export const firstKeyId = "0";

/**
 * How sealed secrets begin: `v1:<base64>` under key 0, from before key ids, and `v2:<key id>:<base64>`; the base64
 * holds the 12-byte IV, the 16-byte tag, then the ciphertext. Plain secrets, from before sealing, begin `whsec_`.
 */
export const sealedFormats = { v1: "v1:", v2: "v2:" } as const;
const plainPrefix = "whsec_";
const ivBytes = 12;
const tagBytes = 16;

/** Thrown when a stored secret was sealed under a key not held, or another key under its id, for another subscription, or altered. */
export class UnreadableSecret extends Error {
  constructor(subscriptionId: string, why: string, cause?: unknown) {
    super(`the signing secret of subscription ${subscriptionId} cannot be opened: ${why}`, { cause });
    this.name = "UnreadableSecret";
  }
}

/** How many stored secrets (current and previous alike) are sealed under a key. */
export interface KeyCount {
  keyId: string;
  count: number;
}

/**
 * The refusal to start when stored secrets need keys the keyring lacks: a clear line at start, naming how many
 * secrets need which key, rather than those subscriptions' deliveries failing one by one. It is a ConfigError, as
 * the setting is what is wrong, so that the process exits as for any bad setting.
 */
export function missingKeys(missing: KeyCount[]): ConfigError {
  const counts = missing.map(({ keyId, count }) => `${count} under key ${keyId}${keyId === firstKeyId ? " (SIGNING_SECRETS_KEY's)" : ""}`);
  return new ConfigError(
    "SIGNING_SECRETS_KEYS",
    `stored signing secrets are sealed under keys it does not list (${counts.join(", ")}): list them again, and ` +
      "remove a key only once `node dist/services/run.js reseal-secrets` leaves no secret under it",
  );
}

/** Seals under the first of its keys, opens with any of them. */
export class SecretBox {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #sealing: SigningKey;

  /** A lone key is SIGNING_SECRETS_KEY alone: key 0, sealing as before key ids. */
  constructor(keys: Buffer | readonly SigningKey[]) {
    const ring = Buffer.isBuffer(keys) ? [{ id: firstKeyId, key: keys }] : keys;
    this.#keys = new Map(ring.map(({ id, key }) => [id, key]));
    if (ring.length === 0 || this.#keys.size !== ring.length) throw new Error("a secret box needs keys, each under an id of its own");
    this.#sealing = ring[0]!;
  }

  /** The id of the key that seals. */
  get sealingKeyId(): string {
    return this.#sealing.id;
  }

  holds(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  seal(subscriptionId: string, secret: string): string {
    const { id, key } = this.#sealing;
    const header = id === firstKeyId ? sealedFormats.v1 : `${sealedFormats.v2}${id}:`;
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(associatedData(header, subscriptionId));
    const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return header + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64");
  }

  /**
   * The secret, from what is stored. A plain secret passes: a replica of a release before sealing may still be
   * writing them during a rolling update, and the next start of delivery seals it.
   */
  open(subscriptionId: string, stored: string): string {
    if (stored.startsWith(plainPrefix)) return stored;
    const format = sealedFormat(stored);
    if (!format) throw new UnreadableSecret(subscriptionId, "it is neither plain nor sealed in a format this release reads");
    const { keyId, header } = format;
    const key = this.#keys.get(keyId);
    if (!key) throw new UnreadableSecret(subscriptionId, `it is sealed under key ${keyId}, which the keyring does not hold`);
    const bytes = Buffer.from(stored.slice(header.length), "base64");
    const notOpened = `key ${keyId} does not open it: sealed under another key of that id, for another subscription, or altered`;
    if (bytes.length <= ivBytes + tagBytes) throw new UnreadableSecret(subscriptionId, notOpened);
    try {
      // The tag's length is fixed here: otherwise a shortened tag, far easier to forge, would be checked as given.
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, ivBytes), { authTagLength: tagBytes })
        .setAAD(associatedData(header, subscriptionId))
        .setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes));
      return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()]).toString("utf8");
    } catch (err) {
      // The cipher says only that authentication failed; which subscription is what the operator needs.
      throw new UnreadableSecret(subscriptionId, notOpened, err);
    }
  }

  /** Whether a stored secret is sealed under the key that seals now, so that re-sealing it would change nothing. */
  sealsNow(stored: string): boolean {
    return keyIdOf(stored) === this.#sealing.id;
  }
}

/** Whether a stored secret is sealed; secrets stored before sealing existed are plain text, sealed at start. */
export function isSealed(stored: string): boolean {
  return keyIdOf(stored) !== undefined;
}

/** The id of the key a stored secret is sealed under: key 0 for `v1:`; undefined for a plain secret. */
export function keyIdOf(stored: string): string | undefined {
  return sealedFormat(stored)?.keyId;
}

/** A sealed secret's key id and the header that precedes its base64 (`v1:`, `v2:<key id>:`). */
function sealedFormat(stored: string): { keyId: string; header: string } | undefined {
  if (stored.startsWith(sealedFormats.v1)) return { keyId: firstKeyId, header: sealedFormats.v1 };
  if (!stored.startsWith(sealedFormats.v2)) return undefined;
  const end = stored.indexOf(":", sealedFormats.v2.length);
  if (end <= sealedFormats.v2.length) return undefined;
  return { keyId: stored.slice(sealedFormats.v2.length, end), header: stored.slice(0, end + 1) };
}

/**
 * What the tag authenticates besides the secret: the subscription, so that a row cannot take another's sealed secret,
 * and in v2 the header naming the key, so that a sealed secret cannot be relabelled as another key's.
 */
function associatedData(header: string, subscriptionId: string): Buffer {
  return Buffer.from(header === sealedFormats.v1 ? subscriptionId : header + subscriptionId);
}
