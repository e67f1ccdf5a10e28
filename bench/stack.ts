// A private Triggers stack for the bench, run as npm start runs one (compiled services under the supervisor),
// on its own database, nats-server and ports, with an org and key made through the gateway.
import { randomBytes } from "node:crypto";
import { generateAdminToken } from "../tools/stack/admin-token.js";
import { createOrg } from "../tools/stack/gateway-client.js";
import { startNatsServer } from "../tools/stack/nats.js";
import { freePort } from "../tools/stack/ports.js";
import { dropDatabase, ensureDatabase, resolvePostgres, withDatabase } from "../tools/stack/postgres.js";
import { localUrls, SERVICE_NAMES, type ServiceName, serviceEnvironment, serviceSpec } from "../tools/stack/services.js";
import { Supervisor } from "../tools/stack/supervisor.js";

export interface BenchStack {
  gatewayUrl: string;
  databaseUrl: string;
  natsUrl: string;
  orgId: string;
  key: string;
  pids: Partial<Record<ServiceName, number>>;
  stop(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const undo: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of undo.reverse()) await step().catch((error: Error) => console.error(`bench stack: ${error.message}`));
  };
  try {
    const postgres = await resolvePostgres({ databaseUrl: process.env.DATABASE_URL });
    undo.push(postgres.stop);
    const databaseUrl = withDatabase(postgres.url, `triggers_bench_${randomBytes(4).toString("hex")}`);
    await ensureDatabase(databaseUrl);
    undo.push(() => dropDatabase(databaseUrl));
    const nats = await startNatsServer();
    undo.push(nats.stop);

    const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (name) => [name, await freePort()] as const)));
    const urls = localUrls(ports as Record<ServiceName, number>);
    const adminToken = generateAdminToken();
    const env = serviceEnvironment({
      ports: ports as Record<ServiceName, number>,
      urls,
      host: "127.0.0.1",
      databaseUrl,
      natsUrl: nats.url,
      adminToken,
    });
    const pids: Partial<Record<ServiceName, number>> = {};
    const supervisor = new Supervisor({
      restart: false,
      onEvent: (event) => {
        if (event.type === "started") pids[event.name as ServiceName] = event.pid;
      },
    });
    for (const name of SERVICE_NAMES) supervisor.add(serviceSpec(name, env, urls[name], "compiled"));
    undo.push(() => supervisor.stopAll());
    await supervisor.startAll();

    const { orgId, key } = await createOrg(urls.gateway, adminToken, "bench");
    return { gatewayUrl: urls.gateway, databaseUrl, natsUrl: nats.url, orgId, key, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
