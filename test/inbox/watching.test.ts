// The inbox's event streams in memory: where a stream starts, resuming from its cursors, each org its own, and how streams end.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { InboxService, type WatchEventsResponse } from "../../gen/triggers/v1/inbox_pb.js";
import { inboxRoutes } from "../../services/inbox/routes.js";
import { newKey, requireKnownKeys, serveInMemory, withKey } from "../helpers/routes.js";
import { MemoryEventStore } from "./memory-store.js";

/** Arrivals as the projection announces them: every watch of the org wakes. */
class AnnouncedArrivals {
  readonly #wakes = new Map<string, Set<() => void>>();

  watch(orgId: string) {
    const wakes = this.#wakes.get(orgId) ?? new Set();
    this.#wakes.set(orgId, wakes);
    let announced = false;
    let wake = () => {};
    const onAnnounce = () => {
      announced = true;
      wake();
    };
    wakes.add(onAnnounce);
    return {
      next: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve) => {
          const done = () => {
            announced = false;
            clearTimeout(timer);
            resolve();
          };
          const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
          wake = done;
          signal?.addEventListener("abort", done, { once: true });
          if (announced || signal?.aborted) done();
        }),
      close: () => wakes.delete(onAnnounce),
    };
  }

  announce(orgId: string): void {
    for (const wake of this.#wakes.get(orgId) ?? []) wake();
  }
}

function inbox() {
  const store = new MemoryEventStore();
  const arrivals = new AnnouncedArrivals();
  const orgs = { a: uuidv7(), b: uuidv7() };
  const keys = { a: newKey(), b: newKey() };
  const draining = new AbortController();
  const delivery = { listEventDeliveries: async () => ({}) as never, cancelEventDeliveries: async () => ({}) as never };
  const transport = serveInMemory(
    inboxRoutes({ store, arrivals, delivery, defaultRetentionDays: 30, draining: draining.signal, audit: async () => {} }),
    [requireKnownKeys({ [keys.a]: orgs.a, [keys.b]: orgs.b })],
  );
  const store1 = (org: string, type = "order.created") => {
    const { id } = store.add({ id: uuidv7(), org_id: org, type });
    arrivals.announce(org);
    return id;
  };
  return { store, orgs, keys, draining, publish: store1, client: createClient(InboxService, transport) };
}

/** Reads a stream's events until it has count of them, then stops reading it; the opening message is not counted. */
async function take(stream: AsyncIterable<WatchEventsResponse>, count: number): Promise<WatchEventsResponse[]> {
  const taken: WatchEventsResponse[] = [];
  for await (const message of stream) {
    if (message.event) taken.push(message);
    if (taken.length === count) break;
  }
  return taken;
}

test("inbox watching - a stream from now opens with its cursor, then sends the events stored after it, not those before", async (t) => {
  const { orgs, keys, publish, client } = inbox();
  const before = publish(orgs.a);
  const controller = new AbortController();
  const stream = client.watchEvents({}, { ...withKey(keys.a), signal: controller.signal })[Symbol.asyncIterator]();
  const opening = (await stream.next()).value as WatchEventsResponse;
  t.is(opening.event, undefined);
  const later = [publish(orgs.a), publish(orgs.a)];
  t.deepEqual((await stream.next()).value.event?.id, later[0]);
  t.deepEqual((await stream.next()).value.event?.id, later[1]);
  // The opening cursor is where the stream began: resumed from it, the same events follow.
  const resumed = await take(client.watchEvents({ cursor: opening.cursor }, withKey(keys.a)), 2);
  t.deepEqual(
    resumed.map((m) => m.event?.id),
    later,
  );
  t.false(resumed.some((m) => m.event?.id === before));
  controller.abort();
});

test("inbox watching - a stream resumed from a message's cursor goes on after it, without repeats", async (t) => {
  const { orgs, keys, publish, client } = inbox();
  const ids = [publish(orgs.a), publish(orgs.a), publish(orgs.a)];
  const first = await take(client.watchEvents({ since: { seconds: 0n } }, withKey(keys.a)), 1);
  t.is(first[0]?.event?.id, ids[0]);
  const rest = await take(client.watchEvents({ cursor: first[0]!.cursor }, withKey(keys.a)), 2);
  t.deepEqual(
    rest.map((m) => m.event?.id),
    ids.slice(1),
  );
});

test("inbox watching - a stream sends acknowledged events too, unless a status is asked for", async (t) => {
  const { store, orgs, keys, publish, client } = inbox();
  const [acked, pending] = [publish(orgs.a), publish(orgs.a)];
  await store.ack(orgs.a, acked!);
  const all = await take(client.watchEvents({ since: { seconds: 0n } }, withKey(keys.a)), 2);
  t.deepEqual(
    all.map((m) => m.event?.id),
    [acked, pending],
  );
  const pendingOnly = await take(client.watchEvents({ since: { seconds: 0n }, status: "pending" }, withKey(keys.a)), 1);
  t.deepEqual(
    pendingOnly.map((m) => m.event?.id),
    [pending],
  );
});

test("inbox watching - another org's events never reach the stream", async (t) => {
  const { orgs, keys, publish, client } = inbox();
  publish(orgs.b);
  const own = publish(orgs.a);
  publish(orgs.b);
  const [message] = await take(client.watchEvents({ since: { seconds: 0n } }, withKey(keys.a)), 1);
  t.is(message?.event?.id, own);
});

test("inbox watching - a stream ends without an error once until has passed and its events are sent", async (t) => {
  const { orgs, keys, publish, client } = inbox();
  const id = publish(orgs.a);
  const until = { seconds: BigInt(Math.floor(Date.now() / 1000) + 1) };
  const messages = await take(client.watchEvents({ since: { seconds: 0n }, until }, withKey(keys.a)), Number.POSITIVE_INFINITY);
  t.deepEqual(
    messages.map((m) => m.event?.id),
    [id],
  );
});

test("inbox watching - a draining server ends its streams as unavailable, telling the caller to reconnect", async (t) => {
  const { orgs, keys, publish, draining, client } = inbox();
  publish(orgs.a);
  const stream = client.watchEvents({ since: { seconds: 0n } }, withKey(keys.a));
  const seen: string[] = [];
  const ended = (async () => {
    for await (const message of stream) {
      if (!message.event) continue;
      seen.push(message.event.id);
      draining.abort();
    }
  })();
  const err = ConnectError.from(await t.throwsAsync(ended));
  t.is(err.code, Code.Unavailable);
  t.is(err.findDetails(ErrorInfoSchema)[0]?.reason, ErrorReason.STREAM_ENDED);
  t.is(seen.length, 1);
});

test("inbox watching - a foreign cursor or an unknown status is refused before anything is sent", async (t) => {
  const { keys, client } = inbox();
  for (const request of [{ cursor: "bm90IG91cnM" }, { status: "archived" }, { type: "no spaces" }]) {
    const err = ConnectError.from(await t.throwsAsync(take(client.watchEvents(request, withKey(keys.a)), 1)));
    t.is(err.code, Code.InvalidArgument, JSON.stringify(request));
  }
  const err = ConnectError.from(await t.throwsAsync(take(client.watchEvents({}, withKey(newKey())), 1)));
  t.is(err.code, Code.Unauthenticated);
});

test("inbox watching - a catch-up stream sends what is stored after its cursor, then ends instead of waiting", async (t) => {
  const { orgs, keys, publish, client } = inbox();
  const ids = [publish(orgs.a), publish(orgs.a)];
  const messages = await take(
    client.watchEvents({ since: { seconds: 0n }, untilCaughtUp: true }, withKey(keys.a)),
    Number.POSITIVE_INFINITY,
  );
  t.deepEqual(
    messages.map((m) => m.event?.id),
    ids,
  );
  const none = await take(
    client.watchEvents({ cursor: messages.at(-1)!.cursor, untilCaughtUp: true }, withKey(keys.a)),
    Number.POSITIVE_INFINITY,
  );
  t.deepEqual(none, []);
});
