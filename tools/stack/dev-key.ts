// The dev stack's API key: the stored one while the gateway accepts it, else a new `dev` org's key.
import fs from "node:fs/promises";
import path from "node:path";
import { createOrg, keyAccepted } from "./gateway-client.js";

export async function ensureDevKey(options: { gatewayUrl: string; adminToken: string; file: string }): Promise<string> {
  const stored = await fs.readFile(options.file, "utf8").then(
    (text) => text.trim(),
    () => "",
  );
  // A stored key stops working when its database was reset; then we make a new one.
  if (stored && (await keyAccepted(options.gatewayUrl, stored))) return stored;
  // A plan roomy enough for trying things by hand, and small enough that its limit can be seen.
  const { key } = await createOrg(options.gatewayUrl, options.adminToken, "dev", { plan: "business" });
  await fs.mkdir(path.dirname(options.file), { recursive: true });
  await fs.writeFile(options.file, `${key}\n`, { mode: 0o600 });
  return key;
}
