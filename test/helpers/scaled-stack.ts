// The prod overlay's topology as processes on this machine: a three-node JetStream cluster with streams kept three
// times, the migrations run once as the Job runs them, and two replicas of every service behind a Service stand-in
// each; all on loopback, or each process where a placement says (a network namespace of its own, to cut its links).
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { loopback, type Placement, placed } from "../../tools/stack/placement.js";
import { freePorts } from "../../tools/stack/ports.js";
import { portTaken } from "../../tools/stack/private-services.js";
import { localNetworks, REPO_ROOT, SERVICE_NAMES, type ServiceName } from "../../tools/stack/services.js";
import { generateAdminToken, generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";
import { Supervisor } from "../../tools/stack/supervisor.js";
import { startBalancer } from "./balancer.js";
import { type NatsCluster, startNatsCluster } from "./nats-cluster.js";
import { forwardTcp } from "./tcp-forward.js";
import { Teardown } from "./teardown.js";
import { createDatabase } from "./throwaway.js";

export const replicasPerService = 2;

/** Where each process of the stack runs, for tests that put them in network namespaces of their own. */
export interface StackPlacement {
  /** Where NATS node i runs. */
  natsNode(node: number): Placement;
  /** Where replica i (0-based) of a service runs. */
  replica(service: ServiceName, replica: number): Placement;
  /**
   * This process's address as the replicas reach it. The Service stand-ins listen there, and so does a forwarder to
   * the database, which may listen on loopback only.
   */
  host: string;
  /** Serve the NATS nodes' monitoring endpoints (NatsCluster.monitorUrls). */
  natsMonitor?: boolean;
}

/** One replica of a service, as the test reaches it. */
export interface ReplicaAddress {
  service: ServiceName;
  replica: number;
  /** Its API. */
  url: string;
  /** Its admin port: /healthz is its readiness. */
  adminUrl: string;
}

export interface ScaledStack {
  /** Each gateway replica's own URL, as a load balancer in front of them would reach them. */
  gatewayUrls: string[];
  /** Each ingest replica's own URL, as internal callers in the cluster reach them. */
  ingestUrls: string[];
  adminToken: string;
  nats: NatsCluster;
  replicas: ReplicaAddress[];
  /** Kills replica i (0-based) of a service with a signal; resolves once it has exited. */
  kill(service: ServiceName, replica: number, signal?: NodeJS.Signals): Promise<void>;
  logs(): string[];
  stop(): Promise<void>;
}

const entry = path.join("dist", "services", "run.js");

const onLoopback: StackPlacement = { natsNode: () => loopback, replica: () => loopback, host: loopback.host };

/** Runs the compiled services, as the image does: `npm test` builds dist/ first. */
export async function startScaledStack(env: Record<string, string> = {}, placement = onLoopback): Promise<ScaledStack> {
  const teardown = new Teardown();
  return teardown.start(async () => {
    const database = await createDatabase();
    teardown.add(database.drop);
    const nats = await startNatsCluster({ placement: placement.natsNode, monitor: placement.natsMonitor });
    teardown.add(nats.stop);
    await promisify(execFile)(process.execPath, [entry, "migrate"], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: database.url },
    });

    const databaseUrl = new URL(database.url);
    if (placement.host !== loopback.host) {
      const forwarder = await forwardTcp(placement.host, { host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
      teardown.add(forwarder.close);
      databaseUrl.hostname = forwarder.host;
      databaseUrl.port = String(forwarder.port);
    }

    const adminToken = generateAdminToken();
    const shared = {
      ...process.env,
      DATABASE_URL: databaseUrl.href,
      NATS_URL: nats.urls.join(","),
      JETSTREAM_REPLICAS: "3",
      MIGRATE_ON_START: "false",
      ADMIN_TOKEN: adminToken,
      SIGNING_SECRETS_KEY: generateSigningSecretsKey(),
      KEY_ENVIRONMENT: "test",
      DELIVERY_ALLOWED_NETWORKS: localNetworks,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      ...env,
    };
    const { supervisor, replicas, stop } = await startReplicas(shared, placement);
    teardown.add(stop);

    const addresses = replicas.map(({ service, index, host, port, adminPort }) => ({
      service,
      replica: index,
      url: `http://${host}:${port}`,
      adminUrl: `http://${host}:${adminPort}`,
    }));
    const urlsOf = (service: ServiceName) => addresses.filter((replica) => replica.service === service).map(({ url }) => url);
    return {
      gatewayUrls: urlsOf("gateway"),
      ingestUrls: urlsOf("ingest"),
      adminToken,
      nats,
      replicas: addresses,
      async kill(service, replica, signal = "SIGKILL") {
        await supervisor.kill(`${service}-${replica}`, signal);
      },
      logs: () => supervisor.names().flatMap((name) => supervisor.logs(name).map((line) => `${name} | ${line}`)),
      stop: () => teardown.run(),
    };
  });
}

interface Replica {
  service: ServiceName;
  index: number;
  name: string;
  placement: Placement;
  host: string;
  port: number;
  adminPort: number;
}

const attempts = 3;

/**
 * Every replica, and a Service stand-in in front of each service's replicas for the others to call; started again
 * on other ports when another process took a picked one first.
 */
async function startReplicas(shared: NodeJS.ProcessEnv, placement: StackPlacement) {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(SERVICE_NAMES.length * replicasPerService * 2);
    const replicas: Replica[] = SERVICE_NAMES.flatMap((service, s) =>
      Array.from({ length: replicasPerService }, (_, i) => {
        const at = (s * replicasPerService + i) * 2;
        const where = placement.replica(service, i);
        return {
          service,
          index: i,
          name: `${service}-${i}`,
          placement: where,
          host: where.host,
          port: ports[at]!,
          adminPort: ports[at + 1]!,
        };
      }),
    );
    const balancers = await Promise.all(
      SERVICE_NAMES.filter((service) => service !== "gateway").map(async (service) => {
        const balancer = await startBalancer(
          replicas.filter((replica) => replica.service === service),
          placement.host,
        );
        return { service, balancer };
      }),
    );
    const peerUrls = Object.fromEntries(balancers.map(({ service, balancer }) => [`${service.toUpperCase()}_URL`, balancer.url]));
    const supervisor = new Supervisor({ restart: false, logLines: 400 });
    for (const { service, name, placement: where, host, port, adminPort } of replicas) {
      const upper = service.toUpperCase();
      supervisor.add({
        name,
        ...placed(where, process.execPath, [entry, service]),
        cwd: REPO_ROOT,
        env: {
          ...shared,
          ...peerUrls,
          HOST: host,
          [`${upper}_PORT`]: String(port),
          [`${upper}_ADMIN_PORT`]: String(adminPort),
        },
        healthUrl: `http://${host}:${adminPort}/healthz`,
      });
    }
    const stop = async () => {
      await supervisor.stopAll();
      await Promise.all(balancers.map(({ balancer }) => balancer.close()));
    };
    try {
      await supervisor.startAll();
      return { supervisor, replicas, stop };
    } catch (error) {
      await stop();
      if (!portTaken(error) || attempt === attempts) throw error;
    }
  }
}
