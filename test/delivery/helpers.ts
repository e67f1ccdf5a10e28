// A private stack for delivery tests (nats-server, a fresh database, the real auth and delivery processes) and the events they publish.
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connect, type JetStreamClient, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { type Event, EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { encodePublishedEvents } from "../../services/shared/published-events.js";
import { consumers, ensureConsumer, eventSubject } from "../../services/shared/streams.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { localNetworks } from "../../tools/stack/services.js";
import { generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";
import { createOrg, type TestOrg } from "../helpers/api-client.js";
import { Teardown } from "../helpers/teardown.js";
import { createDatabase, type ServiceProcess, startService } from "../helpers/throwaway.js";

export interface DeliveryStack {
  /** The running delivery process; replaced by startDelivery. */
  delivery: ServiceProcess;
  /** Starts another delivery process on the same database and NATS, as a restart or a second replica would. */
  startDelivery(): Promise<ServiceProcess>;
  js: JetStreamClient;
  nc: NatsConnection;
  /** A new org with its API key, created through the auth service. */
  createOrg(): Promise<TestOrg>;
  stop(): Promise<void>;
}

/** Starts everything the delivery service needs, then the service itself; stop() removes all of it. */
export async function startDeliveryStack(env: Record<string, string> = {}): Promise<DeliveryStack> {
  const teardown = new Teardown();
  return teardown.start(async () => {
    const nats = await startNatsServer();
    teardown.add(nats.stop);
    const database = await createDatabase();
    teardown.add(database.drop);
    const adminToken = `ta_${randomBytes(16).toString("hex")}`;
    // One key for every start of delivery, as a deployment's Secret would give them.
    const signingSecretsKey = generateSigningSecretsKey();
    const auth = await startService("auth", { DATABASE_URL: database.url, NATS_URL: nats.url, ADMIN_TOKEN: adminToken });
    teardown.add(auth.stop);
    const deliveries: ServiceProcess[] = [];
    teardown.add(() => Promise.all(deliveries.map((delivery) => delivery.stop())));
    const nc = await connect({ servers: nats.url });
    teardown.add(() => nc.close());
    const stack: DeliveryStack = {
      delivery: undefined!,
      async startDelivery() {
        const delivery = await startService("delivery", {
          AUTH_URL: auth.url,
          DATABASE_URL: database.url,
          NATS_URL: nats.url,
          DELIVERY_ALLOWED_NETWORKS: localNetworks,
          SIGNING_SECRETS_KEY: signingSecretsKey,
          ...env,
        });
        deliveries.push(delivery);
        stack.delivery = delivery;
        return delivery;
      },
      nc,
      js: nc.jetstream(),
      createOrg: () => createOrg(auth.url, adminToken),
      stop: () => teardown.run(),
    };
    await stack.startDelivery();
    // Already there, made by the service; asking again makes sure before the first publish.
    await ensureConsumer(await nc.jetstreamManager(), consumers.delivery, 1);
    return stack;
  });
}

/** Publishes an event as ingest does: a message of the org's published events, here one, its data as JSON text. */
export async function publishEvent(js: JetStreamClient, orgId: string, event: Event, msgID = event.id): Promise<void> {
  const { data, ...withoutData } = event;
  const published = { event: create(EventSchema, withoutData), data: JSON.stringify(data ?? {}), requestId: `test-${event.id}` };
  await js.publish(eventSubject(orgId), encodePublishedEvents({ orgId, events: [published] }), { msgID });
}

export function newEvent(type: string, data: Record<string, unknown> = { n: 1 }): Event {
  const now = new Date();
  return create(EventSchema, {
    id: uuidv7(),
    type,
    source: "tests",
    data: data as Event["data"],
    occurredAt: timestampFromDate(now),
    receivedAt: timestampFromDate(now),
  });
}
