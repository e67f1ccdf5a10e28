// The five Triggers services: their start order, the environment they share, and how to run each one.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServiceName } from "../../services/shared/config.js";
import type { ChildSpec } from "./supervisor.js";

/** Start order: each service only needs the ones before it. */
export const SERVICE_NAMES: readonly ServiceName[] = ["auth", "ingest", "inbox", "delivery", "gateway"];
export type { ServiceName };

// This file runs from tools/stack/ as TypeScript, or from dist/tools/stack/ once compiled.
const twoUp = fileURLToPath(new URL("../../", import.meta.url));
export const REPO_ROOT = path.basename(twoUp) === "dist" ? path.dirname(twoUp) : twoUp;

/**
 * How services run: compiled JavaScript from dist/ (`npm start`, the bench: what ships), or their TypeScript
 * sources through tsx (tests, which must never run a stale build). Through tsx a service spent about a fifth
 * more CPU per event, on the helpers esbuild adds to keep function names, and more memory.
 */
export type ServiceRuntime = "compiled" | "source";

/** Everything one stack's services are configured with; all of them read the same variables. */
export interface StackSettings {
  ports: Record<ServiceName, number>;
  /** Where each service serves health and metrics. */
  adminPorts: Record<ServiceName, number>;
  /** How services reach each other. */
  urls: Record<ServiceName, string>;
  /** Address the services listen on. */
  host: string;
  databaseUrl: string;
  natsUrl: string;
  adminToken: string;
  /** The key delivery seals webhook signing secrets with. */
  signingSecretsKey: string;
  logLevel?: string;
}

export function localUrls(ports: Record<ServiceName, number>): Record<ServiceName, string> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<ServiceName, string>;
}

/** Loopback, where a developer's webhook receivers listen. */
export const localNetworks = "127.0.0.0/8,::1/128";

/** Any port of this machine, by either name: where a developer's web apps are served from. */
export const localOrigins = "http://localhost:*,http://127.0.0.1:*";

/** The environment of every service: ours on top of the inherited one (PATH, HOME and the like). */
export function serviceEnvironment(settings: StackSettings, inherited: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOST: settings.host,
    DATABASE_URL: settings.databaseUrl,
    NATS_URL: settings.natsUrl,
    ADMIN_TOKEN: settings.adminToken,
    SIGNING_SECRETS_KEY: settings.signingSecretsKey,
    // A stack on one machine posts to receivers on that machine; the user's own setting wins.
    DELIVERY_ALLOWED_NETWORKS: inherited.DELIVERY_ALLOWED_NETWORKS ?? localNetworks,
    // Web apps in development call the stack from dev servers on this machine, the gateway's own pages among them.
    CORS_ALLOWED_ORIGINS: inherited.CORS_ALLOWED_ORIGINS ?? localOrigins,
    // Keys made on a developer's machine say so: a scanner finding one knows it opens nothing in production.
    KEY_ENVIRONMENT: inherited.KEY_ENVIRONMENT ?? "test",
  };
  for (const name of SERVICE_NAMES) {
    const upper = name.toUpperCase();
    env[`${upper}_PORT`] = String(settings.ports[name]);
    env[`${upper}_ADMIN_PORT`] = String(settings.adminPorts[name]);
    // The gateway is the entry point: nothing calls it, so there is no GATEWAY_URL.
    if (name !== "gateway") env[`${upper}_URL`] = settings.urls[name];
  }
  if (settings.logLevel) env.LOG_LEVEL = settings.logLevel;
  return env;
}

/** Where a service runs from, when not from this checkout as it is. */
export interface ServiceSource {
  /** A script run instead of the service's entry point, for tests that stand a stub in for a service. */
  entry?: string;
  /** Another checkout whose services run, built (the bench's comparison with another commit). */
  root?: string;
}

/**
 * Node's own flags for a service where it runs on a whole machine (npm start, the bench). V8 sizes its young
 * generation from the memory it may use: two semi-spaces of 16 MB on a machine of 24 GB, about 1 MB in a pod held to
 * 512 MiB (measured in a cgroup of that limit), so the Deployments need none of this. The gateway allocates so fast
 * under load that its young generation grew to the 32 MB maximum, and its old generation kept some 20 MB of
 * short-lived objects promoted before they died: a peak RSS of 125 to 158 MB against 113 to 121 MB with semi-spaces
 * of 8 MB, at the same events/s (half of all runs since still peak higher, from a rise not yet traced: see the
 * README's Performance). The consumers keep V8's sizing: the inbox rose with smaller semi-spaces, its batches
 * promoted while they wait on Postgres.
 */
export const NODE_FLAGS: Partial<Record<ServiceName, string[]>> = { gateway: ["--max-semi-space-size=8"] };

/**
 * How the supervisor runs a service: this Node, from the repository root, through the entry point the image uses
 * (run.js <name>) with the service's NODE_FLAGS, healthy when /healthz on its admin port answers. A checkout given
 * as root runs with this one's flags (the bench's comparisons measure code, not flags).
 */
export function serviceSpec(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  adminPort: number,
  runtime: ServiceRuntime,
  { entry, root = REPO_ROOT }: ServiceSource = {},
): ChildSpec {
  const script = entry
    ? [entry]
    : runtime === "compiled"
      ? [path.join("dist", "services", "run.js"), name]
      : [path.join("services", "run.ts"), name];
  const flags = NODE_FLAGS[name] ?? [];
  const args = runtime === "compiled" ? [...flags, ...script] : [...flags, "--import", "tsx", ...script];
  return { name, command: process.execPath, args, cwd: root, env, healthUrl: `http://127.0.0.1:${adminPort}/healthz` };
}
