// A private stack for delivery tests (nats-server, a fresh database, the real auth and delivery processes) and the events they publish.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connect, type JetStreamClient, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { type Event, EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { encodePublishedEvents } from "../../services/shared/published-events.js";
import { consumers, ensureConsumer, eventSubject } from "../../services/shared/streams.js";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";
import { freePort } from "../../tools/stack/ports.js";
import { localNetworks } from "../../tools/stack/services.js";
import { generateSigningSecretsKey } from "../../tools/stack/stack-secrets.js";
import { createOrg, request, type TestOrg } from "../helpers/api-client.js";
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
  /** Stops NATS, as an outage would; startNats brings it back on the same port, with its streams. */
  stopNats(): Promise<void>;
  startNats(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts everything the delivery service needs, then the service itself; stop() removes all of it. */
export async function startDeliveryStack(env: Record<string, string> = {}): Promise<DeliveryStack> {
  const teardown = new Teardown();
  return teardown.start(async () => {
    // On a port and a store of its own, so that a test can stop NATS and start it again where it was.
    const storeDir = await mkdtemp(path.join(os.tmpdir(), "triggers-nats-delivery-"));
    teardown.add(() => rm(storeDir, { recursive: true, force: true }));
    const natsOptions = { storeDir, port: await freePort() };
    let nats: NatsServer | undefined = await startNatsServer(natsOptions);
    teardown.add(async () => await nats?.stop());
    const database = await createDatabase();
    teardown.add(database.drop);
    const adminToken = `ta_${randomBytes(16).toString("hex")}`;
    // One key for every start of delivery, as a deployment's Secret would give them.
    const signingSecretsKey = generateSigningSecretsKey();
    const natsUrl = nats.url;
    const auth = await startService("auth", { DATABASE_URL: database.url, NATS_URL: natsUrl, ADMIN_TOKEN: adminToken });
    teardown.add(auth.stop);
    const deliveries: ServiceProcess[] = [];
    teardown.add(() => Promise.all(deliveries.map((delivery) => delivery.stop())));
    const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    teardown.add(() => nc.close());
    const stack: DeliveryStack = {
      delivery: undefined!,
      async startDelivery() {
        const delivery = await startService("delivery", {
          AUTH_URL: auth.url,
          DATABASE_URL: database.url,
          NATS_URL: natsUrl,
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
      async stopNats() {
        await nats?.stop();
        nats = undefined;
      },
      async startNats() {
        nats = await startNatsServer(natsOptions);
      },
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

/** Subscribes the key's org to every event type at url, through the delivery service; fails the test otherwise. */
export async function subscribeTo(stack: DeliveryStack, key: string, url: string): Promise<void> {
  const created = await request(stack.delivery.url, "/triggers.v1.DeliveryService/CreateSubscription", { body: { url }, key });
  if (created.status !== 200) throw new Error(`CreateSubscription answered ${created.status}: ${JSON.stringify(created.body)}`);
}
