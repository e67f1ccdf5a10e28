// What delivery tells of settled attempts survives NATS being down when they are recorded: the dead letter, the event's
// outcome for the inbox and our operational event wait in the outbox, and reach their streams, once, when NATS is back.
import { fromBinary } from "@bufbuild/protobuf";
import test from "ava";
import { DeadLetterSchema } from "../../../gen/triggers/v1/delivery_pb.js";
import { DeliveryOutcomesSchema } from "../../../gen/triggers/v1/event_pb.js";
import { deliveryExhausted } from "../../../services/delivery/notices/operational-events.js";
import { decodePublishedEvents } from "../../../services/shared/published-events.js";
import { deadLettersStream, deliveryOutcomesStream, eventsStream } from "../../../services/shared/streams.js";
import { request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { startReceiver } from "../../helpers/receiver.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack, subscribeTo } from "../helpers.js";

let stack: DeliveryStack;

test.before(async () => {
  // Two attempts, 200 ms apart.
  stack = await startDeliveryStack({ DELIVERY_TIMEOUT_MS: "2000", DELIVERY_RETRY_SCHEDULE: "200ms", DELIVERY_POLL_INTERVAL_MS: "50" });
});

test.after.always(async () => {
  await stack?.stop();
});

/** Every message of a stream, decoded by read; none while NATS, just back, cannot answer yet. */
function messagesOf<T>(stream: string, read: (data: Uint8Array) => T): Promise<T[]> {
  return allMessages(stream, read).catch(() => []);
}

async function allMessages<T>(stream: string, read: (data: Uint8Array) => T): Promise<T[]> {
  const jsm = await stack.nc.jetstreamManager();
  const { state } = await jsm.streams.info(stream);
  const found: T[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (message) found.push(read(message.data));
  }
  return found;
}

test("delivery notices - a dead letter, an outcome and an operational event recorded while NATS is down reach their streams once it is back", async (t) => {
  const { orgId, key } = await stack.createOrg();
  // The last attempt fails with NATS already down: its record commits, its notices cannot be published.
  const receiver = await startReceiver((_req, res) => {
    if (receiver.requests.length < 2) return void res.writeHead(500).end();
    void stack.stopNats().then(() => res.writeHead(500).end());
  });
  t.teardown(receiver.close);
  await subscribeTo(stack, key, receiver.url);
  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);

  await eventually(async () => {
    const { body } = await request(stack.delivery.url, "/triggers.v1.DeliveryService/ListEventDeliveries", {
      body: { event_id: event.id },
      key,
    });
    return body.deliveries?.[0]?.state === "DELIVERY_STATE_FAILED" ? true : undefined;
  }, "the delivery to fail for good");
  t.is(receiver.requests.length, 2);
  await stack.startNats();

  const letters = await eventually(async () => {
    const found = (await messagesOf(deadLettersStream.name, (data) => fromBinary(DeadLetterSchema, data))).filter(
      (letter) => letter.orgId === orgId,
    );
    return found.length > 0 ? found : undefined;
  }, "the dead letter");
  t.is(letters.length, 1);
  t.is(letters[0]!.delivery?.eventId, event.id);

  const outcomes = await eventually(async () => {
    const found = (await messagesOf(deliveryOutcomesStream.name, (data) => fromBinary(DeliveryOutcomesSchema, data)))
      .flatMap((message) => message.outcomes)
      .filter((outcome) => outcome.eventId === event.id);
    return found.length > 0 ? found : undefined;
  }, "the event's outcome");
  t.is(outcomes.length, 1);

  const news = (await messagesOf(eventsStream.name, (data) => decodePublishedEvents(data)))
    .filter((message) => message?.orgId === orgId)
    .flatMap((message) => message!.events)
    .filter(({ event: each }) => each.type === deliveryExhausted);
  t.is(news.length, 1);
  t.is(JSON.parse(news[0]!.data).event_id, event.id);
});
