// The production topology on one machine: a three-node JetStream cluster and two replicas of every service. One NATS
// node and one replica of each service die by SIGKILL while events pour in through both gateways, and nothing is lost.
import test from "ava";
import { connect } from "nats";
import { eventsStream } from "../../services/shared/streams.js";
import { SERVICE_NAMES } from "../../tools/stack/services.js";
import { apiClient, createOrg, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type ScaledStack, startScaledStack } from "../helpers/scaled-stack.js";

let stack: ScaledStack;

test.before(async () => {
  // Short webhook timeouts keep the leases the killed delivery replica held short.
  stack = await startScaledStack({ DELIVERY_TIMEOUT_MS: "2000" });
});

test.after.always(async (t) => {
  if (process.env.STACK_LOGS === "1") t.log(stack?.logs().join("\n"));
  await stack?.stop();
});

/** Clients each posting through one gateway; a client whose gateway is gone stops, as a balancer would move it. */
function postThroughGateways(keys: string[], gatewayUrls: string[], clientsPerGateway = 4) {
  const accepted: string[] = [];
  const answers = gatewayUrls.map(() => [] as number[]);
  let posting = true;
  const post = async (gateway: number, client: number) => {
    const api = apiClient(gatewayUrls[gateway]!, keys[0]);
    for (let i = 0; posting; i++) {
      const reply = await api.post("/v1/events", { type: "cluster.tick", data: { gateway, client, i } }).catch(() => undefined);
      if (!reply) return;
      answers[gateway]!.push(reply.status);
      if (reply.status === 200) accepted.push(reply.body.id);
    }
  };
  const done = gatewayUrls.flatMap((_, gateway) => Array.from({ length: clientsPerGateway }, (_, client) => post(gateway, client)));
  return {
    accepted,
    answers,
    async stop() {
      posting = false;
      await Promise.all(done);
    },
  };
}

/** How many answers at the end were all 200: the run of successes since the last error. */
function successesSinceLastError(statuses: number[]): number {
  let run = 0;
  while (run < statuses.length && statuses[statuses.length - 1 - run] === 200) run++;
  return run;
}

test("cluster - with a NATS node and one replica of each service killed under load, every accepted event is kept and delivered", async (t) => {
  const [survivor, victim] = [0, 1];
  const org = await createOrg(stack.gatewayUrls[survivor]!, stack.adminToken);
  const api = apiClient(stack.gatewayUrls[survivor]!, org.key);
  const hook = await startReceiver();
  t.teardown(hook.close);
  t.is((await api.post("/v1/subscriptions", { url: hook.url })).status, 200);

  const load = postThroughGateways([org.key], stack.gatewayUrls);
  await eventually(() => (load.accepted.length >= 300 ? true : undefined), "events accepted through both gateways");
  t.true(load.answers[victim]!.includes(200), "the gateway to be killed was serving");
  const beforeKill = load.answers[survivor]!.length;
  await Promise.all([stack.nats.nodes[0]!.kill(), ...SERVICE_NAMES.map((service) => stack.kill(service, victim))]);
  await eventually(
    () => (successesSinceLastError(load.answers[survivor]!.slice(beforeKill)) >= 500 ? true : undefined),
    "the surviving replicas to serve 500 events in a row after the kills",
  );
  await load.stop();

  const errors = load.answers[survivor]!.filter((status) => status !== 200);
  t.deepEqual(
    [...new Set(errors)].filter((status) => status !== 503),
    [],
    "the surviving gateway answered errors only as 503s",
  );
  t.log(`${load.accepted.length} events accepted; the surviving gateway answered ${errors.length} 503s`);

  const inbox = await eventually(async () => {
    const events = await wholeInbox(api);
    return events.length >= load.accepted.length ? events : undefined;
  }, "every accepted event in the inbox");
  const ids = inbox.map((event) => event.id);
  t.is(new Set(ids).size, ids.length, "no event twice in the inbox");
  const stored = new Set(ids);
  t.deepEqual(
    load.accepted.filter((id) => !stored.has(id)),
    [],
    "every accepted event in the inbox",
  );

  const received = () => new Set(hook.requests.map((request) => request.headers["webhook-id"] as string));
  await eventually(() => (load.accepted.every((id) => received().has(id)) ? true : undefined), "every accepted event delivered");

  const nc = await connect({ servers: stack.nats.urls.slice(1) });
  t.teardown(() => nc.close());
  const info = await (await nc.jetstreamManager()).streams.info(eventsStream.name);
  t.is(info.config.num_replicas, 3, "the events stream is kept on three nodes");
});
