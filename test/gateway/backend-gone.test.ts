// A backend that goes away in the middle of a call: the client is told to try again (503), never that it cancelled (499).
import test from "ava";
import { createOrg, request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { HANGING_ID } from "./backend-doubles.js";
import { startGatewayStack } from "./gateway-stack.js";

test("gateway - a call whose backend goes away while it is in flight is 503 unavailable", async (t) => {
  const stack = await startGatewayStack();
  t.teardown(stack.stop);
  const { key } = await createOrg(stack.gateway.url, stack.adminToken);
  const reading = request(stack.gateway.url, `/v1/events/${HANGING_ID}`, { key });
  await eventually(() => (stack.doubles.calls.some((call) => call.method === "GetEvent") ? true : undefined), "the call at the inbox");
  // As a SIGKILL would: every connection cut at once, the call in flight with them.
  await stack.doubles.close();
  const answer = await reading;
  t.is(answer.status, 503, JSON.stringify(answer.body));
  t.is(answer.body.code, "unavailable");
});
