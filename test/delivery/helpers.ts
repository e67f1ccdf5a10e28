// A private stack for delivery tests: nats-server, a fresh database, the real auth and delivery processes, webhook receivers.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connect, type JetStreamClient, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { type Event, EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { encodePublishedEvents } from "../../services/shared/published-events.js";
import { consumers, ensureConsumer, eventSubject } from "../../services/shared/streams.js";
import { startNatsServer } from "../../tools/stack/nats.js";
import { createDatabase, type ServiceProcess, startService } from "../helpers/throwaway.js";

export interface DeliveryStack {
  /** The running delivery process; replaced by startDelivery. */
  delivery: ServiceProcess;
  /** Starts another delivery process on the same database and NATS, as a restart or a second replica would. */
  startDelivery(): Promise<ServiceProcess>;
  js: JetStreamClient;
  nc: NatsConnection;
  /** A new org with its API key, created through the auth service. */
  createOrg(): Promise<{ orgId: string; key: string }>;
  stop(): Promise<void>;
}

/** Starts everything the delivery service needs, then the service itself; stop() removes all of it. */
export async function startDeliveryStack(env: Record<string, string> = {}): Promise<DeliveryStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const nats = await startNatsServer();
    cleanups.push(nats.stop);
    const database = await createDatabase();
    cleanups.push(database.drop);
    const adminToken = randomBytes(16).toString("hex");
    const auth = await startService("auth", { DATABASE_URL: database.url, ADMIN_TOKEN: adminToken });
    cleanups.push(auth.stop);
    const deliveries: ServiceProcess[] = [];
    cleanups.push(() => Promise.all(deliveries.map((delivery) => delivery.stop())));
    const startDelivery = async () => {
      const delivery = await startService("delivery", {
        AUTH_URL: auth.url,
        DATABASE_URL: database.url,
        NATS_URL: nats.url,
        ...env,
      });
      deliveries.push(delivery);
      stack.delivery = delivery;
      return delivery;
    };
    const nc = await connect({ servers: nats.url });
    cleanups.push(() => nc.close());
    const stack: DeliveryStack = {
      delivery: undefined!,
      startDelivery,
      nc,
      js: nc.jetstream(),
      async createOrg() {
        const res = await callRpc(auth.port, "triggers.v1.AuthService/CreateOrg", { name: "delivery test" }, adminToken);
        if (res.status !== 200) throw new Error(`CreateOrg answered ${res.status}: ${JSON.stringify(res.body)}`);
        const body = res.body as { org: { id: string }; api_key: { secret: string } };
        return { orgId: body.org.id, key: body.api_key.secret };
      },
      stop,
    };
    await startDelivery();
    // Already there, made by the service; asking again makes sure before the first publish.
    await ensureConsumer(await nc.jetstreamManager(), consumers.delivery);
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A Connect unary call with JSON over HTTP/1.1, as any HTTP client would make it. */
export async function callRpc(port: number, method: string, body: unknown, key?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
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

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook endpoint on 127.0.0.1 that records what it receives and answers as respond says. */
export async function startReceiver(respond: (req: ReceivedRequest, res: http.ServerResponse) => void = (_req, res) => res.end("ok")) {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(received);
      respond(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until check returns a value, at most `tries` times; asynchronous outcomes are awaited, never timed. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, tries = 200, pauseMs = 50): Promise<T> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`condition not met after ${tries} tries`);
}
