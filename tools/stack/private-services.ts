// The five services on ports picked free, for private stacks beside others (the tests', the bench's): if another
// process takes a picked port before our service binds it, the services start again on other ports.
import { freePorts } from "./ports.js";
import { localUrls, SERVICE_NAMES, type ServiceName, type ServiceRuntime, serviceEnvironment, serviceSpec } from "./services.js";
import { Supervisor, SupervisorError, type SupervisorOptions } from "./supervisor.js";

export interface PrivateServicesOptions {
  databaseUrl: string;
  natsUrl: string;
  adminToken: string;
  signingSecretsKey: string;
  logLevel?: string;
  /** Extra variables for every service, on top of the stack's own. */
  env?: Record<string, string>;
  runtime: ServiceRuntime;
  /** Scripts run instead of the services' own entry points. */
  entries?: Partial<Record<ServiceName, string>>;
  /** Another checkout whose built services run instead of this one's. */
  root?: string;
  supervisor: SupervisorOptions;
}

export interface PrivateServices {
  supervisor: Supervisor;
  urls: Record<ServiceName, string>;
  /** Where each service serves health and /metrics. */
  adminUrls: Record<ServiceName, string>;
}

const attempts = 3;

/** Starts the services and resolves once all are healthy; stop them with supervisor.stopAll(). */
export async function startPrivateServices(options: PrivateServicesOptions): Promise<PrivateServices> {
  for (let attempt = 1; ; attempt++) {
    const { ports, adminPorts } = await pickServicePorts();
    const urls = localUrls(ports);
    const { databaseUrl, natsUrl, adminToken, signingSecretsKey, logLevel } = options;
    const settings = { ports, adminPorts, urls, host: "127.0.0.1", databaseUrl, natsUrl, adminToken, signingSecretsKey, logLevel };
    const env = { ...serviceEnvironment(settings), ...options.env };
    const supervisor = new Supervisor(options.supervisor);
    for (const name of SERVICE_NAMES)
      supervisor.add(serviceSpec(name, env, adminPorts[name], options.runtime, { entry: options.entries?.[name], root: options.root }));
    try {
      await supervisor.startAll();
      return { supervisor, urls, adminUrls: localUrls(adminPorts) };
    } catch (error) {
      await supervisor.stopAll();
      if (!portTaken(error) || attempt === attempts) throw error;
    }
  }
}

/** Free ports for every service's API and admin port. */
export async function pickServicePorts(): Promise<{ ports: Record<ServiceName, number>; adminPorts: Record<ServiceName, number> }> {
  const picked = await freePorts(SERVICE_NAMES.length * 2);
  const portsFrom = (offset: number) =>
    Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, picked[offset + i]!])) as Record<ServiceName, number>;
  return { ports: portsFrom(0), adminPorts: portsFrom(SERVICE_NAMES.length) };
}

/** Whether services failed to start because another process took a port picked for them. */
export function portTaken(error: unknown): boolean {
  return error instanceof SupervisorError && error.logs.some((line) => line.includes("EADDRINUSE"));
}
