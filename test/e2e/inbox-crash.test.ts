// Nothing accepted is lost: the inbox is killed with SIGKILL while events pour in, and every accepted event is there once.
import test from "ava";
import { apiClient, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { postUnderLoad } from "../helpers/load.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

test("inbox crash - every event accepted while the inbox was killed is in the inbox exactly once after it restarts", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const { accepted, stop } = postUnderLoad(api, "load.tick");

  await eventually(async () => (accepted.length >= 200 ? true : undefined), "some accepted events");
  const exit = await stack.kill("inbox", "SIGKILL");
  t.is(exit.signal, "SIGKILL");
  const acceptedWhileDown = accepted.length;
  await eventually(async () => (accepted.length >= acceptedWhileDown + 200 ? true : undefined), "events accepted while the inbox is down");
  await stack.start("inbox");
  await eventually(async () => (accepted.length >= acceptedWhileDown + 400 ? true : undefined), "events accepted after the restart");
  await stop();

  const inbox = await eventually(async () => {
    const events = await wholeInbox(api);
    return events.length >= accepted.length ? events : undefined;
  }, "every accepted event in the inbox");
  const ids = inbox.map((e) => e.id);
  t.is(new Set(ids).size, ids.length, "no event twice");
  t.deepEqual([...ids].sort(), [...accepted].sort());
});
