// Reads the launcher's settings from the environment once, with defaults, failing on a bad value.
import path from "node:path";
import { DEFAULT_PORTS, REPO_ROOT, SERVICE_NAMES, localUrls, type ServiceName } from "./services.js";

export interface StackConfig {
  ports: Record<ServiceName, number>;
  urls: Record<ServiceName, string>;
  host: string;
  /** Unset means: find or start a Postgres (see resolvePostgres). */
  databaseUrl?: string;
  /** Unset means: find or spawn a nats-server (see resolveNats). */
  natsUrl?: string;
  /** Unset means: generate one and keep it in dataDir. */
  adminToken?: string;
  logLevel?: string;
  /** Where the launcher keeps its state: git-ignored `.data/` at the repository root. */
  dataDir: string;
}

export class StackConfigError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`);
    this.name = "StackConfigError";
  }
}

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const ports = { ...DEFAULT_PORTS };
  for (const name of SERVICE_NAMES) {
    const variable = `${name.toUpperCase()}_PORT`;
    const value = env[variable];
    if (value === undefined || value === "") continue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StackConfigError(variable, value, "a port from 1 to 65535");
    ports[name] = port;
  }

  const urls = localUrls(ports);
  for (const name of SERVICE_NAMES) {
    const variable = `${name.toUpperCase()}_URL`;
    const value = env[variable];
    if (!value || name === "gateway") continue;
    if (!URL.canParse(value)) throw new StackConfigError(variable, value, "an http:// URL");
    urls[name] = value.replace(/\/+$/, "");
  }

  for (const variable of ["DATABASE_URL", "NATS_URL"]) {
    const value = env[variable];
    if (value && !URL.canParse(value)) throw new StackConfigError(variable, value, "a URL");
  }

  return {
    ports,
    urls,
    host: env.HOST || "127.0.0.1",
    databaseUrl: env.DATABASE_URL || undefined,
    natsUrl: env.NATS_URL || undefined,
    adminToken: env.ADMIN_TOKEN || undefined,
    logLevel: env.LOG_LEVEL || undefined,
    dataDir: path.join(REPO_ROOT, ".data"),
  };
}
