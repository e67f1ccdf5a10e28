// The inbox's projection against a real stack: what it does with stream messages ingest would never have written.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { connect, type NatsConnection } from "nats";
import { v7 as uuidv7 } from "uuid";
import { EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { encodePublishedEvents } from "../../services/shared/published-events.js";
import { eventSubject } from "../../services/shared/streams.js";
import { apiClient, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let nats: NatsConnection;

test.before(async () => {
  stack = await startStack();
  nats = await connect({ servers: stack.natsUrl });
});

test.after.always(async () => {
  await nats?.close();
  await stack?.stop();
});

test("inbox - an event the store refuses is set aside and holds up neither the events of its message nor the others", async (t) => {
  const org = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, org.key);
  const now = timestampNow();
  // A NUL in a JSON string: ingest refuses it, but were one to reach the stream, Postgres' jsonb would too.
  const refused = create(EventSchema, { id: uuidv7(), type: "bad", occurredAt: now, receivedAt: now });
  const neighbour = create(EventSchema, { id: uuidv7(), type: "neighbour", occurredAt: now, receivedAt: now });
  const events = [
    { event: refused, data: JSON.stringify({ note: "a\u0000b" }), requestId: "" },
    { event: neighbour, data: "{}", requestId: "" },
  ];
  const js = nats.jetstream();
  await js.publish(eventSubject(org.orgId), encodePublishedEvents({ orgId: org.orgId, events }));
  await js.publish(eventSubject(org.orgId), new TextEncoder().encode("not a protobuf message"));
  const good = await api.post("/v1/events", { type: "good", data: { n: 1 } });
  t.is(good.status, 200);

  const inbox = await eventually(async () => {
    const events = await wholeInbox(api);
    return events.some((e) => e.id === good.body.id) ? events : undefined;
  }, "the good event in the inbox");
  t.deepEqual(
    inbox.map((e) => e.type),
    ["neighbour", "good"],
  );
  await eventually(
    async () => (stack.logs("inbox").some((line) => line.includes(refused.id) && line.includes("set aside")) ? true : undefined),
    "the refused event named in the inbox's log",
  );
});

// The soak found the projection stopping for good when pulls were bounded in bytes: small messages made each pull end on
// its count, the client forgot the bytes such a pull left unused, and its later pulls grew too small for a large message.
test("inbox - a stream of many small messages with large ones among them is projected whole", async (t) => {
  const org = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, org.key);
  const js = nats.jetstream();
  const now = timestampNow();
  const message = (events: number, dataBytes: number) => {
    const data = JSON.stringify({ blob: "x".repeat(dataBytes) });
    const published = Array.from({ length: events }, () => ({
      event: create(EventSchema, { id: uuidv7(), type: "mixed", occurredAt: now, receivedAt: now }),
      data,
      requestId: "",
    }));
    return { ids: published.map(({ event }) => event.id), bytes: encodePublishedEvents({ orgId: org.orgId, events: published }) };
  };
  const ids: string[] = [];
  for (let round = 0; round < 20; round++) {
    const messages = Array.from({ length: 200 }, (_, i) => (i === 199 ? message(30, 20_000) : message(1, 10)));
    await Promise.all(messages.map(({ bytes }) => js.publish(eventSubject(org.orgId), bytes)));
    ids.push(...messages.flatMap((each) => each.ids));
  }

  const stored = await eventually(async () => {
    const events = await wholeInbox(api);
    return events.length === ids.length ? events : undefined;
  }, `all ${ids.length} events in the inbox`);
  t.deepEqual(new Set(stored.map((event) => event.id)), new Set(ids));
});
