// The five Triggers services: their start order, the environment they share, and how to run each one.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServiceName } from "../shared/config.js";
import type { ChildSpec } from "./supervisor.js";

/** Start order: each service only needs the ones before it. */
export const SERVICE_NAMES: readonly ServiceName[] = ["auth", "ingest", "inbox", "delivery", "gateway"];
export type { ServiceName };

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Everything one stack's services are configured with; all of them read the same variables. */
export interface StackSettings {
  ports: Record<ServiceName, number>;
  /** How services reach each other. */
  urls: Record<ServiceName, string>;
  /** Address the services listen on. */
  host: string;
  databaseUrl: string;
  natsUrl: string;
  adminToken: string;
  logLevel?: string;
}

export function localUrls(ports: Record<ServiceName, number>): Record<ServiceName, string> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<
    ServiceName,
    string
  >;
}

/** The environment of every service: ours on top of the inherited one (PATH, HOME and the like). */
export function serviceEnvironment(settings: StackSettings, inherited: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOST: settings.host,
    DATABASE_URL: settings.databaseUrl,
    NATS_URL: settings.natsUrl,
    ADMIN_TOKEN: settings.adminToken,
  };
  for (const name of SERVICE_NAMES) {
    const upper = name.toUpperCase();
    env[`${upper}_PORT`] = String(settings.ports[name]);
    // The gateway is the entry point: nothing calls it, so there is no GATEWAY_URL.
    if (name !== "gateway") env[`${upper}_URL`] = settings.urls[name];
  }
  if (settings.logLevel) env.LOG_LEVEL = settings.logLevel;
  return env;
}

/**
 * How the supervisor runs a service: this Node with tsx, from the repository
 * root, healthy when /healthz answers. `entry` replaces services/<name>/main.ts,
 * for tests that stand a stub in for a service.
 */
export function serviceSpec(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  url: string,
  entry = path.join("services", name, "main.ts"),
): ChildSpec {
  return {
    name,
    command: process.execPath,
    args: ["--import", "tsx", entry],
    cwd: REPO_ROOT,
    env,
    healthUrl: `${url}/healthz`,
  };
}
