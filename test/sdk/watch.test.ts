// events.watch against a running stack: events as they arrive with their cursors, resuming from a cursor, reconnecting across a gateway
// restart (serial, so it runs alone: the other tests need the gateway), stopping on abort.
import test from "ava";
import { type Triggers as Client, Code, ErrorReason, Triggers, TriggersError, type WatchedEvent } from "../../sdk/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { rejection } from "./rejection.js";

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

async function newOrg(): Promise<{ triggers: Triggers; key: string }> {
  const { key } = await stack.createOrg();
  return { triggers: new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key }), key };
}

/** Follows a watch in the background, keeping what it yields, until the test stops it. */
function follow(triggers: Client, query: Parameters<Client["events"]["watch"]>[0], onReconnect?: () => void) {
  const controller = new AbortController();
  const seen: WatchedEvent[] = [];
  const waiters: Array<() => void> = [];
  let open!: (cursor: string) => void;
  const opened = new Promise<string>((resolve) => (open = resolve));
  const done = (async () => {
    for await (const each of triggers.events.watch(query, { signal: controller.signal, onReconnect, onOpen: open })) {
      seen.push(each);
      for (const wake of waiters.splice(0)) wake();
    }
  })();
  const until = async (count: number) => {
    while (seen.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return seen.slice(0, count);
  };
  return { seen, until, opened, done, stop: () => controller.abort() };
}

test("sdk - events.watch yields events as they arrive with their cursors, and a watch from a cursor goes on after it", async (t) => {
  const { triggers } = await newOrg();
  const since = new Date();
  const watching = follow(triggers, { since, type: "order.*" });
  t.teardown(watching.stop);
  await triggers.events.publish({ type: "order.created", data: { n: 1 } });
  await triggers.events.publish({ type: "user.created" });
  await triggers.events.publish({ type: "order.paid", data: { n: 2 } });
  const [first, second] = await watching.until(2);
  t.like(first!.event, { type: "order.created", data: { n: 1 } });
  t.like(second!.event, { type: "order.paid", data: { n: 2 } });
  t.truthy(first!.cursor);

  const after = follow(triggers, { cursor: first!.cursor, type: "order.*" });
  t.teardown(after.stop);
  t.is((await after.until(1))[0]!.event.id, second!.event.id, "the event after the cursor, and not the one at it");

  watching.stop();
  await t.notThrowsAsync(watching.done, "an abort ends the iteration without an error");
});

test("sdk - events.watch from now skips what was stored before it opened, and onOpen tells when it is open", async (t) => {
  const { triggers } = await newOrg();
  await triggers.events.publish({ type: "before.watch" });
  await eventually(async () => ((await triggers.inbox.listPage()).events.length === 1 ? true : undefined), "the first event stored");
  const watching = follow(triggers, {});
  t.teardown(watching.stop);
  t.truthy(await watching.opened, "the cursor of the last event stored");
  await triggers.events.publish({ type: "after.watch" });
  t.is((await watching.until(1))[0]!.event.type, "after.watch");
});

test.serial(
  "sdk - events.watch reconnects from its last cursor when the gateway drains or dies mid-stream, and sees every event exactly once",
  async (t) => {
    const { triggers, key } = await newOrg();
    // The gateway is down for a while: events then go to ingest, which serves publishes too.
    const direct = new Triggers({ baseUrl: stack.urls.ingest, apiKey: key });
    let reconnects = 0;
    const watching = follow(triggers, { since: new Date() }, () => reconnects++);
    t.teardown(watching.stop);
    await direct.events.publish({ type: "n.1" });
    await watching.until(1);

    // Drained, the gateway ends the stream with unavailable; killed, it cuts the stream's body with no word.
    await stack.kill("gateway");
    await direct.events.publish({ type: "n.2" });
    await direct.events.publish({ type: "n.3" });
    await stack.start("gateway");
    await direct.events.publish({ type: "n.4" });
    await watching.until(4);
    await stack.kill("gateway", "SIGKILL");
    await direct.events.publish({ type: "n.5" });
    await stack.start("gateway");
    await direct.events.publish({ type: "n.6" });
    const seen = await watching.until(6);
    t.deepEqual(
      seen.map((each) => each.event.type),
      ["n.1", "n.2", "n.3", "n.4", "n.5", "n.6"],
    );
    t.true(reconnects >= 2);
    watching.stop();
    await watching.done;
    t.is(watching.seen.length, 6, "none twice");
  },
);

test("sdk - events.watch throws what it cannot get past: a refused key", async (t) => {
  const triggers = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: "tk_test_000000000000_00000000000000000000000000000000000000" });
  const err = await rejection(
    (async () => {
      for await (const _ of triggers.events.watch()) break;
    })(),
  );
  t.is(err.code, Code.Unauthenticated);
});

test("sdk - breaking out of a watch loop ends its stream: a key opens, one after another, more streams than it may hold at once", async (t) => {
  const { triggers } = await newOrg();
  await triggers.events.publish({ type: "order.created" });
  // A key holds 10 streams at once; a stream left open by a break would hold its slot for good.
  for (let round = 0; round < 12; round++) {
    const first = await eventually(
      async () => {
        try {
          for await (const each of triggers.events.watch({ since: "2020-01-01T00:00:00Z" })) return each;
        } catch (err) {
          // The gateway frees a slot a moment after its stream ends.
          if (err instanceof TriggersError && err.reason === ErrorReason.TOO_MANY_STREAMS) return undefined;
          throw err;
        }
      },
      `stream ${round + 1}`,
    );
    t.is(first?.event.type, "order.created");
  }
});
