// The environment variables the services read, found in their config sources, and the services themselves.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The folders under services/ that hold a service; `shared` holds what they share. */
export function serviceNames(servicesDir: string): string[] {
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== "shared")
    .map((entry) => entry.name)
    .sort();
}

function sources(servicesDir: string): { file: string; text: string }[] {
  return readdirSync(servicesDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file, text: readFileSync(path.join(servicesDir, file), "utf8") }));
}

/**
 * Every variable name a service may read: the string literals passed to setting helpers (functions whose first
 * parameter is `env: string`, such as `integer("INBOX_BATCH_SIZE", ...)`) in config.ts files, plus the per-service
 * names config.ts builds from a service's name (`${service.toUpperCase()}_PORT`), for every service.
 */
export function settingNames(servicesDir: string): Set<string> {
  const all = sources(servicesDir);
  const helpers = new Set<string>();
  for (const { text } of all) {
    for (const match of text.matchAll(/(?:function\s+(\w+)\s*(?:<[^>]*>)?\s*\(|const\s+(\w+)\s*=\s*\()\s*env:\s*string/g)) {
      helpers.add((match[1] ?? match[2])!);
    }
  }
  const names = new Set<string>();
  const services = serviceNames(servicesDir);
  for (const { text } of all.filter(({ file }) => path.basename(file) === "config.ts")) {
    for (const match of text.matchAll(/\b(\w+)\(\s*"([A-Z][A-Z0-9_]*)"/g)) {
      if (helpers.has(match[1]!)) names.add(match[2]!);
    }
    for (const match of text.matchAll(/`\$\{\w+\.toUpperCase\(\)\}(_[A-Z0-9_]+)`/g)) {
      for (const service of services) names.add(`${service.toUpperCase()}${match[1]}`);
    }
  }
  // Finding none means the way settings are declared changed, not that no variable may be set.
  if (names.size === 0) throw new Error(`no setting names found in ${servicesDir}/**/config.ts`);
  return names;
}
