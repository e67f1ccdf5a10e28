// A gateway under test: the real auth service and gateway as processes, a fresh database, NATS, and doubles of the backends it forwards to.
import { randomBytes } from "node:crypto";
import { connect } from "nats";
import type { PublishedEvent, PublishedEvents } from "../../services/shared/published-events.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";
import { storedMessages } from "../helpers/event-stream.js";
import { Teardown } from "../helpers/teardown.js";
import { createDatabase, type ServiceProcess, startService } from "../helpers/throwaway.js";
import { type BackendDoubles, startBackendDoubles } from "./backend-doubles.js";

export interface GatewayStack {
  gateway: ServiceProcess;
  auth: ServiceProcess;
  doubles: BackendDoubles;
  nats: NatsServer;
  adminToken: string;
  /** The messages the gateways wrote to the stream for the org, in order. */
  storedMessages(orgId: string): Promise<PublishedEvents[]>;
  /** The events of those messages, in order. */
  storedEvents(orgId: string): Promise<PublishedEvent[]>;
  /** Another gateway in front of the same auth service, NATS and doubles; env overrides theirs. Stopped with the stack. */
  startGateway(env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export async function startGatewayStack(env: Record<string, string> = {}): Promise<GatewayStack> {
  const teardown = new Teardown();
  return teardown.start(async () => {
    const database = await createDatabase();
    teardown.add(database.drop);
    const adminToken = `ta_${randomBytes(16).toString("hex")}`;
    const doubles = await startBackendDoubles();
    teardown.add(() => doubles.close());
    const nats = await startNatsServer();
    teardown.add(nats.stop);
    const reader = await connect({ servers: nats.url, maxReconnectAttempts: -1 });
    teardown.add(() => reader.close());
    const messagesOf = (orgId: string) => storedMessages(reader, orgId);
    const storedEvents = async (orgId: string) => (await messagesOf(orgId)).flatMap((message) => message.events);
    const auth = await startService("auth", { DATABASE_URL: database.url, NATS_URL: nats.url, ADMIN_TOKEN: adminToken });
    teardown.add(auth.stop);
    const base = { NATS_URL: nats.url, AUTH_URL: auth.url, INBOX_URL: doubles.url, DELIVERY_URL: doubles.url };
    const startGateway = async (overrides: Record<string, string> = {}) => {
      // The default, pinned so that a KEY_CACHE_TTL_MS in the developer's environment cannot change what these tests see.
      const gateway = await startService("gateway", { KEY_CACHE_TTL_MS: "60000", ...base, ...overrides });
      teardown.add(gateway.stop);
      return gateway;
    };
    const gateway = await startGateway(env);
    return { gateway, auth, doubles, nats, adminToken, storedMessages: messagesOf, storedEvents, startGateway, stop: () => teardown.run() };
  });
}
