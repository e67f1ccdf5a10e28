// The secrets of a dev stack (admin token, signing secrets key): from the environment when set, else generated once and kept on disk.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/** A new random admin token; the `ta_` prefix makes a leaked one easy to recognise. */
export function generateAdminToken(): string {
  return `ta_${randomBytes(32).toString("base64url")}`;
}

/** A new key for sealing webhook signing secrets at rest: 32 random bytes in base64, as SIGNING_SECRETS_KEY takes. */
export function generateSigningSecretsKey(): string {
  return randomBytes(32).toString("base64");
}

/** Returns `fromEnv` when given; otherwise the secret stored in `file`, generating it on first use. */
export async function loadKeptSecret(fromEnv: string | undefined, file: string, generate: () => string): Promise<string> {
  if (fromEnv) return fromEnv;
  const stored = await fs.readFile(file, "utf8").then(
    (text) => text.trim(),
    () => "",
  );
  if (stored) return stored;
  const secret = generate();
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
