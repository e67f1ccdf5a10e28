// A private Triggers stack for the bench, run as npm start runs one (compiled services under the supervisor),
// on its own database, nats-server and ports, with an org and key made through the gateway.
import { randomBytes } from "node:crypto";
import { createOrg } from "../tools/stack/gateway-client.js";
import { startNatsServer } from "../tools/stack/nats.js";
import { dropDatabase, ensureDatabase, resolvePostgres, withDatabase } from "../tools/stack/postgres.js";
import { startPrivateServices } from "../tools/stack/private-services.js";
import type { ServiceName } from "../tools/stack/services.js";
import { generateAdminToken, generateSigningSecretsKey } from "../tools/stack/stack-secrets.js";
import type { RestartPolicy, Supervisor, SupervisorEvent } from "../tools/stack/supervisor.js";
import { findProcess } from "./find-process.js";
import { idleStreamsPerKey } from "./idle-streams.js";

export interface BenchStack {
  gatewayUrl: string;
  databaseUrl: string;
  natsUrl: string;
  /** The bench's own nats-server, for its CPU; undefined when it cannot be found. */
  natsPid: number | undefined;
  /**
   * Whether Postgres is a server that others may use too (the machine's own, or DATABASE_URL's) rather than one the
   * bench started: then their work counts in Postgres's CPU.
   */
  postgresShared: boolean;
  adminToken: string;
  orgId: string;
  key: string;
  /** Each service's current process: a restarted service's new pid replaces the old one as it starts. */
  pids: Partial<Record<ServiceName, number>>;
  /** Where each service serves health and /metrics. */
  adminUrls: Record<ServiceName, string>;
  /** Kills and restarts services (the soak's kills). */
  supervisor: Supervisor;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /**
   * Start services again when they die, as Kubernetes would (the soak kills them on purpose). Off for the bench,
   * where a service that dies must show as missing figures, not as a slow section.
   */
  restart?: RestartPolicy;
  /** Extra variables for every service. */
  env?: Record<string, string>;
  /** The database's name prefix, so that a leftover one tells which tool made it. */
  databasePrefix?: string;
}

/** `root`: another checkout, built, whose services run instead of this one's (see compare.ts). */
export async function startBenchStack(root?: string, options: BenchStackOptions = {}): Promise<BenchStack> {
  const undo: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of undo.reverse()) await step().catch((error: Error) => console.error(`bench stack: ${error.message}`));
  };
  try {
    const postgres = await resolvePostgres({ databaseUrl: process.env.DATABASE_URL });
    undo.push(postgres.stop);
    const databaseUrl = withDatabase(postgres.url, `${options.databasePrefix ?? "triggers_bench"}_${randomBytes(4).toString("hex")}`);
    await ensureDatabase(databaseUrl);
    undo.push(() => dropDatabase(databaseUrl));
    const nats = await startNatsServer();
    undo.push(nats.stop);
    // startNatsServer keeps its child to itself; the store directory, a fresh temporary one, names the process.
    const natsPid = await findProcess("nats-server", nats.storeDir);

    const adminToken = generateAdminToken();
    const signingSecretsKey = generateSigningSecretsKey();
    const pids: Partial<Record<ServiceName, number>> = {};
    const onEvent = (event: SupervisorEvent) => {
      if (event.type === "started") pids[event.name as ServiceName] = event.pid;
    };
    const { supervisor, urls, adminUrls } = await startPrivateServices({
      databaseUrl,
      natsUrl: nats.url,
      adminToken,
      signingSecretsKey,
      runtime: "compiled",
      root,
      supervisor: { restart: options.restart ?? false, onEvent },
      env: { EVENT_STREAMS_PER_KEY: String(idleStreamsPerKey), ...options.env },
    });
    undo.push(() => supervisor.stopAll());

    // The largest custom plan: the bench measures the stack, not the org's limit.
    const { orgId, key } = await createOrg(urls.gateway, adminToken, "bench", { plan: "custom", events_per_minute: 10_000_000 });
    return {
      gatewayUrl: urls.gateway,
      databaseUrl,
      natsUrl: nats.url,
      natsPid,
      postgresShared: postgres.source !== "embedded",
      adminToken,
      orgId,
      key,
      pids,
      adminUrls,
      supervisor,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
