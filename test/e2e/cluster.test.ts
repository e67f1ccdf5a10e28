// The production topology on one machine: a three-node JetStream cluster and two replicas of every service. One NATS
// node and one replica of each service die by SIGKILL while events pour in through both gateways and both ingest
// replicas, and nothing is lost.
import test from "ava";
import { connect } from "nats";
import { consumers, ensureConsumer, ensureStream, eventsStream, openRateLimits, rateLimitsBucket } from "../../services/shared/streams.js";
import { SERVICE_NAMES } from "../../tools/stack/services.js";
import { type ApiClient, apiClient, createOrg, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startNatsCluster } from "../helpers/nats-cluster.js";
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

// What a client got when the gateway's connection failed rather than answered.
const noAnswer = 0;

/** How a client publishes one event: REST at a gateway, or Connect JSON at ingest as an internal caller would. */
const publishers = {
  rest: (api: ApiClient, data: object) => api.post("/v1/events", { type: "cluster.tick", data }),
  internal: (api: ApiClient, data: object) =>
    api.post("/triggers.v1.IngestService/PublishEvent", { event: { type: "cluster.tick", data } }),
};

/**
 * Clients each publishing through one replica. A client whose replica is killed stops at its first failed connection,
 * as a load balancer would move it; the survivor's clients record every failure, as an answer of status 0.
 */
function publishThrough(
  key: string,
  urls: string[],
  killed: number,
  publish: (api: ApiClient, data: object) => Promise<any>,
  clientsPerReplica = 4,
) {
  const accepted: string[] = [];
  const answers = urls.map(() => [] as number[]);
  let posting = true;
  const post = async (replica: number, client: number) => {
    const api = apiClient(urls[replica]!, key);
    for (let i = 0; posting; i++) {
      const reply = await publish(api, { url: urls[replica], client, i }).catch(() => undefined);
      if (!reply && replica === killed) return;
      answers[replica]!.push(reply?.status ?? noAnswer);
      if (reply?.status === 200) accepted.push(reply.body.id);
    }
  };
  const done = urls.flatMap((_, replica) => Array.from({ length: clientsPerReplica }, (_, client) => post(replica, client)));
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

test("cluster - a stream, its durable consumer and the rate-limits bucket made on one server move onto three when JETSTREAM_REPLICAS is raised", async (t) => {
  // A cluster of its own: the stack's bucket was made with three replicas, and the other test kills a node.
  const cluster = await startNatsCluster();
  t.teardown(cluster.stop);
  const nc = await connect({ servers: cluster.urls });
  t.teardown(() => nc.close());
  const jsm = await nc.jetstreamManager();
  const stream = { name: "RAISED", subjects: ["raised.>"] };
  await ensureStream(jsm, stream, 1);
  // A consumer made on one server, as it is where JETSTREAM_REPLICAS is 1.
  const consumer = { ...consumers.inbox, durable_name: "raised" };
  await jsm.consumers.add(stream.name, { ...consumer, num_replicas: 1 });
  await ensureConsumer(jsm, consumer, 3, stream);
  t.is((await jsm.streams.info(stream.name)).config.num_replicas, 3);
  t.is((await jsm.consumers.info(stream.name, consumer.durable_name)).config.num_replicas, 3);
  await eventually(async () => {
    const { cluster: placement } = await jsm.consumers.info(stream.name, consumer.durable_name);
    return placement?.leader && placement.replicas?.length === 2 ? true : undefined;
  }, "the consumer to have a leader and two followers");

  const bucket = rateLimitsBucket(1);
  await nc.jetstream().views.kv(bucket.name, bucket.options);
  t.is((await jsm.streams.info(`KV_${bucket.name}`)).config.num_replicas, 1);
  await openRateLimits(nc, 3);
  t.is((await jsm.streams.info(`KV_${bucket.name}`)).config.num_replicas, 3);
});

test("cluster - with a NATS node and one replica of each service killed under load, every accepted event is kept and delivered", async (t) => {
  const [survivor, victim] = [0, 1];
  const org = await createOrg(stack.gatewayUrls[survivor]!, stack.adminToken);
  const api = apiClient(stack.gatewayUrls[survivor]!, org.key);
  const hook = await startReceiver();
  t.teardown(hook.close);
  t.is((await api.post("/v1/subscriptions", { url: hook.url })).status, 200);

  const load = publishThrough(org.key, stack.gatewayUrls, victim, publishers.rest);
  const internal = publishThrough(org.key, stack.ingestUrls, victim, publishers.internal, 2);
  await eventually(() => (load.accepted.length >= 300 ? true : undefined), "events accepted through both gateways");
  await eventually(() => (internal.accepted.length >= 100 ? true : undefined), "events accepted through both ingest replicas");
  t.true(load.answers[victim]!.includes(200), "the gateway to be killed was serving");
  t.true(internal.answers[victim]!.includes(200), "the ingest replica to be killed was serving");
  const beforeKill = load.answers[survivor]!.length;
  const internalBeforeKill = internal.answers[survivor]!.length;
  // The node that leads the events stream: its death makes the others elect a new leader while writes wait.
  const leader = await eventsStreamLeader(stack.nats.urls);
  await Promise.all([stack.nats.nodes[leader]!.kill(), ...SERVICE_NAMES.map((service) => stack.kill(service, victim))]);
  await eventually(
    () => (successesSinceLastError(load.answers[survivor]!.slice(beforeKill)) >= 500 ? true : undefined),
    "the surviving replicas to serve 500 events in a row after the kills",
  );
  await eventually(
    () => (successesSinceLastError(internal.answers[survivor]!.slice(internalBeforeKill)) >= 100 ? true : undefined),
    "the surviving ingest replica to serve 100 events in a row after the kills",
  );
  await Promise.all([load.stop(), internal.stop()]);

  for (const [through, { answers }] of [
    ["gateway", load],
    ["ingest replica", internal],
  ] as const) {
    const errors = answers[survivor]!.filter((status) => status !== 200);
    t.deepEqual(
      [...new Set(errors)].filter((status) => status !== 503),
      [],
      `the surviving ${through} answered errors only as 503s`,
    );
    t.log(`the surviving ${through} answered ${errors.length} 503s`);
  }
  const accepted = [...load.accepted, ...internal.accepted];
  t.log(`${load.accepted.length} events accepted through the gateways, ${internal.accepted.length} through ingest`);

  // Events answered with a 503, or in flight at the killed gateway, may be stored too: wait for the accepted ones.
  const inbox = await eventually(async () => {
    const events = await wholeInbox(api);
    const stored = new Set(events.map((event) => event.id));
    return accepted.every((id) => stored.has(id)) ? events : undefined;
  }, "every accepted event in the inbox");
  const ids = inbox.map((event) => event.id);
  t.is(new Set(ids).size, ids.length, "no event twice in the inbox");
  t.true(
    inbox.every((event) => event.type === "cluster.tick"),
    "nothing in the inbox that was not posted",
  );

  const received = () => new Set(hook.requests.map((request) => request.headers["webhook-id"] as string));
  await eventually(() => (accepted.every((id) => received().has(id)) ? true : undefined), "every accepted event delivered").catch(
    async (err: Error) => {
      // What became of the first few that did not arrive, so that a failure says where they stopped.
      const missing = accepted.filter((id) => !received().has(id));
      const deliveries = await Promise.all(missing.slice(0, 5).map(async (id) => (await api.get(`/v1/events/${id}/deliveries`)).body));
      t.log(`${missing.length} accepted events never reached the receiver; the first ones' deliveries:`, deliveries);
      throw err;
    },
  );

  const nc = await connect({ servers: stack.nats.urls.filter((_, node) => node !== leader) });
  t.teardown(() => nc.close());
  const info = await (await nc.jetstreamManager()).streams.info(eventsStream.name);
  t.is(info.config.num_replicas, 3, "the events stream is kept on three nodes");
});

async function eventsStreamLeader(urls: string[]): Promise<number> {
  const nc = await connect({ servers: urls });
  try {
    const info = await (await nc.jetstreamManager()).streams.info(eventsStream.name);
    return Number(info.cluster!.leader!.replace(/^n/, ""));
  } finally {
    await nc.close();
  }
}
