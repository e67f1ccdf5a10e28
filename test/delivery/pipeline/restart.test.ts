// Stopping and restarting the delivery service: deliveries in flight finish, and none is repeated afterwards.
import test from "ava";
import { consumers, eventsStream } from "../../../services/shared/streams.js";
import { request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { startReceiver } from "../../helpers/receiver.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack, subscribeTo } from "../helpers.js";

let stack: DeliveryStack;

test.before(async () => {
  stack = await startDeliveryStack();
});

test.after.always(async () => {
  await stack?.stop();
});

test("delivery - a stopping service finishes its deliveries in flight, and after a restart does not POST them again", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const held: (() => void)[] = [];
  const receiver = await startReceiver((_req, res) => held.push(() => res.end("ok")));
  t.teardown(receiver.close);
  await subscribeTo(stack, key, receiver.url);

  const event = newEvent("order.created");
  await publishEvent(stack.js, orgId, event);
  await eventually(() => (held.length ? true : undefined));

  const first = stack.delivery;
  const stopped = first.stop();
  await first.logged("shutting down");
  held[0]!();
  await stopped;

  // The first process acked the event before it exited: nothing is left for the next one.
  const jsm = await stack.nc.jetstreamManager();
  const info = await jsm.consumers.info(eventsStream.name, consumers.delivery.durable_name!);
  t.is(info.num_ack_pending, 0);
  t.is(info.num_pending, 0);

  // The next event is the second process's proof of life: it comes, and the first one does not come again.
  const second = await stack.startDelivery();
  const next = newEvent("order.created");
  await publishEvent(stack.js, orgId, next);
  await eventually(() => (receiver.requests.length >= 2 ? true : undefined));
  await eventually(async () => {
    const now = await jsm.consumers.info(eventsStream.name, consumers.delivery.durable_name!);
    return now.ack_floor.stream_seq >= now.delivered.stream_seq && now.num_pending === 0 ? true : undefined;
  });

  t.deepEqual(
    receiver.requests.map((r) => r.headers["webhook-id"]),
    [event.id, next.id],
  );
  const listed = await request(second.url, "/triggers.v1.DeliveryService/ListEventDeliveries", { body: { event_id: event.id }, key });
  const [delivery] = (listed.body as { deliveries: { state: string; attempts: unknown[] }[] }).deliveries;
  t.is(delivery!.state, "DELIVERY_STATE_SUCCEEDED");
  t.is(delivery!.attempts.length, 1);
});
