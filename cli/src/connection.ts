// Which gateway and key a command uses: TRIGGERS_URL and TRIGGERS_API_KEY when set, else what `triggers login` saved.

import { UsageError } from "./command-errors.js";
import { readJsonFile } from "./config-files.js";

export const configFileName = "config.json";

/** What config.json holds. */
export interface SavedConfig {
  url?: string;
  api_key?: string;
}

export interface Connection {
  url: string;
  apiKey: string;
}

export function resolveConnection(configDir: string, env: NodeJS.ProcessEnv = process.env): Connection {
  const saved = readJsonFile<SavedConfig>(configDir, configFileName) ?? {};
  const apiKey = env.TRIGGERS_API_KEY || saved.api_key;
  if (!apiKey) throw new UsageError("no API key", "run `triggers login`, or set TRIGGERS_API_KEY");
  const url = env.TRIGGERS_URL || saved.url;
  if (!url) throw new UsageError("no gateway URL", "run `triggers login --url <gateway>`, or set TRIGGERS_URL");
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    const from = env.TRIGGERS_URL ? "TRIGGERS_URL" : `the url in ${configFileName}`;
    throw new UsageError(`${from} is not an http or https URL: ${url}`, "give one such as http://127.0.0.1:8080");
  }
  return { url, apiKey };
}

/** How a key begins, up to its secret (`tk_live_<id>`): enough to recognise it, nothing of the secret. */
export function keyPrefixOf(key: string): string | undefined {
  const parts = key.split("_");
  return parts.length === 4 && parts[0] === "tk" ? parts.slice(0, 3).join("_") : undefined;
}
