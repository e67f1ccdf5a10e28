// The admin token of a dev stack: ADMIN_TOKEN when set, else one generated once and kept on disk.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/** A new random admin token; the `ta_` prefix makes a leaked one easy to recognise. */
export function generateAdminToken(): string {
  return `ta_${randomBytes(32).toString("base64url")}`;
}

/** Returns `fromEnv` when given; otherwise the token stored in `file`, creating it on first use. */
export async function loadAdminToken(fromEnv: string | undefined, file: string): Promise<string> {
  if (fromEnv) return fromEnv;
  const stored = await fs.readFile(file, "utf8").then(
    (text) => text.trim(),
    () => "",
  );
  if (stored) return stored;
  const token = generateAdminToken();
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
