// The database npm start uses on the machine's own Postgres: one per checkout and signing secrets key, never shared by two.
import { createHash } from "node:crypto";
import path from "node:path";

/**
 * `triggers_<folder>_<fingerprint>`. The folder says whose it is; the fingerprint of the key that seals its webhook
 * signing secrets gives a second checkout, or this one once `.data` is wiped and a new key made, a database of its
 * own, rather than one holding secrets it cannot open. Eight hex digits of a hash of a random 256-bit key tell
 * nothing of the key.
 */
export function checkoutDatabase(repoRoot: string, signingSecretsKey: string): string {
  const folder = path
    .basename(repoRoot)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  const fingerprint = createHash("sha256").update(signingSecretsKey).digest("hex").slice(0, 8);
  return `triggers_${folder || "checkout"}_${fingerprint}`;
}
