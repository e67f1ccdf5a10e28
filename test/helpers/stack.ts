// Starts a private Triggers stack for one test file: its own database, nats-server, ports and admin token.
import type { ExitInfo } from "../../tools/stack/child-exit.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { prefixLine } from "../../tools/stack/output-lines.js";
import { startPrivateServices } from "../../tools/stack/private-services.js";
import { SERVICE_NAMES, type ServiceName, type ServiceRuntime, serviceEnvironment } from "../../tools/stack/services.js";
import { generateAdminToken, generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";
import { describeEvent, type RestartPolicy, type SupervisorEvent } from "../../tools/stack/supervisor.js";
import { createOrg, type TestOrg } from "./api-client.js";
import { Teardown } from "./teardown.js";
import { createDatabase, type ServiceProcess, startService } from "./throwaway.js";

export type { ExitInfo } from "../../tools/stack/child-exit.js";
export type { ServiceName } from "../../tools/stack/services.js";
export type { SupervisorEvent } from "../../tools/stack/supervisor.js";

/** Quicker than the launcher's policy so that tests of crash recovery do not wait long. */
export const TEST_RESTART: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 2_000, resetAfterMs: 10_000 };

export interface StartStackOptions {
  /** Restart services that die, as the launcher does; off by default so kill() leaves a service down. */
  restart?: boolean | RestartPolicy;
  /** Extra variables for every service, on top of the stack's own. */
  env?: Record<string, string>;
  /** Scripts (absolute, or relative to the repository root) run instead of services/<name>/main.ts. */
  entries?: Partial<Record<ServiceName, string>>;
  /** Output lines kept per service for logs(); the supervisor's default keeps the last 200. */
  logLines?: number;
  /** The sources through tsx by default; "compiled" runs dist/, which `npm test` builds first. */
  runtime?: ServiceRuntime;
}

export interface Stack {
  gatewayUrl: string;
  adminToken: string;
  urls: Record<ServiceName, string>;
  /** Where each service serves health and /metrics. */
  adminUrls: Record<ServiceName, string>;
  databaseUrl: string;
  natsUrl: string;
  /** Signals a service and resolves once it has exited. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Starts a stopped service and resolves once its /healthz answers. */
  start(name: ServiceName): Promise<void>;
  /** Another gateway in front of the same services, as a replica would be; env adds to the stack's. Stopped with the stack. */
  startGateway(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Creates an org through the gateway, on the largest custom plan unless given another; returns its id and API key. */
  createOrg(name?: string, plan?: Record<string, unknown>): Promise<TestOrg>;
  /** The last output lines of one service, or of all of them prefixed with their names. */
  logs(name?: ServiceName): string[];
  /** Every start and exit of a service so far, in order, with its pid: an exit nobody asked for is a crash. */
  lifecycle(): SupervisorEvent[];
  /** Stops the services as Ctrl-C does (the gateway first; SIGTERM, then SIGKILL after 10 s) and tells how each ended. */
  stopServices(): Promise<Map<string, ExitInfo | undefined>>;
  /** Stops the services and the nats-server, drops the database. Safe to call twice. */
  stop(): Promise<void>;
}

const print = process.env.STACK_LOGS === "1" ? (line: string) => console.log(line) : undefined;

/**
 * Service output is kept, not printed, unless STACK_LOGS=1. The database and
 * nats-server are private so tests never share tables or streams with a dev
 * stack or with another test file.
 */
export async function startStack(options: StartStackOptions = {}): Promise<Stack> {
  const teardown = new Teardown();
  return teardown.start(async () => {
    const lifecycle: SupervisorEvent[] = [];
    const { url: databaseUrl, drop } = await createDatabase();
    teardown.add(drop);
    const nats = await startNatsServer({ onLine: print && ((line) => print(prefixLine("nats", line))) });
    teardown.add(nats.stop);
    const adminToken = generateAdminToken();
    const signingSecretsKey = generateSigningSecretsKey();
    const { supervisor, urls, adminUrls } = await startPrivateServices({
      databaseUrl,
      natsUrl: nats.url,
      adminToken,
      signingSecretsKey,
      logLevel: process.env.LOG_LEVEL,
      env: options.env,
      runtime: options.runtime ?? "source",
      entries: options.entries,
      supervisor: {
        restart: options.restart === true ? TEST_RESTART : (options.restart ?? false),
        logLines: options.logLines,
        print,
        onEvent: (event) => {
          lifecycle.push(event);
          print?.(prefixLine("stack", describeEvent(event)));
        },
      },
    });
    teardown.add(() => supervisor.stopAll());
    const startGateway = async (env: Record<string, string> = {}) => {
      const portsOf = (each: Record<ServiceName, string>) =>
        Object.fromEntries(Object.entries(each).map(([name, url]) => [name, Number(new URL(url).port)])) as Record<ServiceName, number>;
      const settings = {
        ports: portsOf(urls),
        adminPorts: portsOf(adminUrls),
        urls,
        host: "127.0.0.1",
        databaseUrl,
        natsUrl: nats.url,
        adminToken,
        signingSecretsKey,
      };
      const stackEnv = serviceEnvironment(settings, {}) as Record<string, string>;
      const gateway = await startService("gateway", { ...stackEnv, ...options.env, ...env });
      teardown.add(gateway.stop);
      return gateway;
    };
    return {
      startGateway,
      gatewayUrl: urls.gateway,
      adminToken,
      urls,
      adminUrls,
      databaseUrl,
      natsUrl: nats.url,
      kill: (name, signal = "SIGTERM") => supervisor.kill(name, signal),
      start: (name) => supervisor.start(name),
      stopServices: () => supervisor.stopAll(),
      createOrg: (name, plan) => createOrg(urls.gateway, adminToken, name, plan),
      logs: (name) =>
        name ? supervisor.logs(name) : SERVICE_NAMES.flatMap((each) => supervisor.logs(each).map((line) => prefixLine(each, line))),
      lifecycle: () => [...lifecycle],
      stop: () => teardown.run(),
    };
  });
}
