// `npm run soak`: a private stack under steady load for half an hour (--minutes), its services killed now and then,
// sampled throughout; then every event accounted for, the verdict given and the report written under bench/results/.
import { DEFAULT_RESTART } from "../../tools/stack/supervisor.js";
import { Progress } from "../progress.js";
import { machine } from "../report.js";
import { type BenchStack, startBenchStack } from "../stack.js";
import { deliveryStory } from "./delivery-stories.js";
import { drain } from "./drain.js";
import { startFlakyReceiver } from "./flaky-receiver.js";
import { inboxIds } from "./inbox-contents.js";
import { startInboxWorkers } from "./inbox-workers.js";
import { killTimes, startKills } from "./kills.js";
import { openLiveStream } from "./live-stream.js";
import { readOptions, SoakOptionError } from "./options.js";
import { startPublishing } from "./publisher.js";
import { seededRandom } from "./random.js";
import { writeReport } from "./report.js";
import { Sampler } from "./sampling.js";
import { statusLine } from "./status-line.js";
import { subscribe } from "./subscription.js";
import { judge, rulesFor } from "./verdict.js";

// Retries within seconds rather than the default's minutes to hours, so that a run and its drain see them all through:
// at a fifth of attempts failing, eleven in a row fail for one event in fifty million.
const serviceEnv = { DELIVERY_RETRY_SCHEDULE: "1s,2s,4s,8s,15s,30s,30s,30s,30s,30s" };
const inboxWorkerCount = 2;
// Undelivered events whose deliveries the report tells: enough to tell late from lost.
const storiesTold = 10;

let options: ReturnType<typeof readOptions>;
try {
  options = readOptions();
} catch (error) {
  if (!(error instanceof SoakOptionError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) throw error;
  console.error(`soak: ${(error as Error).message}`);
  process.exit(2);
}
const rules = rulesFor(options.minutes, options.rate);
const progress = new Progress();
const running: { stack?: BenchStack; close: Array<() => unknown> } = { close: [] };
const cleanUp = async () => {
  for (const close of running.close.reverse()) await close();
  await running.stack?.stop();
};
process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));

try {
  progress.step("starting a private stack");
  const stack = await startBenchStack(undefined, { restart: DEFAULT_RESTART, env: serviceEnv, databasePrefix: "triggers_soak" });
  running.stack = stack;
  // Printed so that a long run can be looked into while it goes (psql, nats, curl with the key).
  console.error(`soak: gateway ${stack.gatewayUrl}, NATS ${stack.natsUrl}, ${stack.databaseUrl}, key ${stack.key}`);
  const receiver = await startFlakyReceiver({ ...options, random: seededRandom(options.seed + 1) });
  running.close.push(() => receiver.close());
  await subscribe(stack.gatewayUrl, stack.key, receiver.url);
  const stream = openLiveStream(stack.gatewayUrl, stack.key);
  running.close.push(() => stream.close());
  // The stream starts from now: opened after the first publishes, it would count them as never read.
  await stream.ready(10_000);
  const workers = startInboxWorkers(stack.gatewayUrl, stack.key, inboxWorkerCount);
  running.close.push(() => workers.stop());

  const startedAt = performance.now();
  const clock = () => (performance.now() - startedAt) / 1000;
  const sampler = await Sampler.open(stack, () => rates(), startedAt);
  running.close.push(() => sampler.close());
  const times = killTimes(options.minutes, options.killEveryMinutes);
  progress.step(`publishing ${options.rate} events/s for ${options.minutes} minutes, ${times.length} kills (seed ${options.seed})`);
  const publisher = startPublishing(stack.gatewayUrl, stack.key, options.rate, options.minutes);
  const rates = () => ({
    published: publisher.accepted.length,
    delivered: receiver.counts.delivered,
    failedAttempts: receiver.counts.failed,
    streamed: stream.counts.events,
    acked: workers.counts.acked,
  });
  sampler.start(options.sampleSeconds);
  const killer = startKills(stack, times, seededRandom(options.seed), clock, rules.maxBackSeconds, (kill) =>
    progress.step(
      `killed ${kill.service} (pid ${kill.pid}) at ${Math.round(kill.t)} s, ${kill.backAfterSeconds === undefined ? "NOT back" : `back after ${kill.backAfterSeconds.toFixed(1)} s`}; publishing goes on`,
    ),
  );
  const status = setInterval(() => {
    const last = sampler.samples.at(-1);
    if (last) progress.step(statusLine(last, { accepted: publisher.accepted.length, delivered: receiver.deliveries.size }));
  }, 60_000);
  running.close.push(() => clearInterval(status));
  const published = await publisher.done;
  clearInterval(status);
  const publishedSeconds = clock();
  await killer.stop();

  progress.step(`draining: waiting up to ${options.drainMinutes} minutes for the last deliveries and the consumers`);
  const drainState = {
    accepted: publisher.accepted,
    deliveries: receiver.deliveries,
    lagNow: () => sampler.lagNow(),
    endLag: rules.lag.endMax,
  };
  const drained = await drain(drainState, options.drainMinutes * 60);
  const endLag = await sampler.lagNow();
  const endsAt = clock();
  await workers.stop();
  stream.close();
  await sampler.close();

  progress.step("listing every event the inbox holds");
  const inbox = await inboxIds(stack.gatewayUrl, stack.key);
  const undelivered = publisher.accepted.filter((id) => !receiver.deliveries.has(id)).slice(0, storiesTold);
  const stories = await Promise.all(undelivered.map((id) => deliveryStory(stack.gatewayUrl, stack.key, id)));
  progress.done();
  const verdict = judge(
    {
      samples: sampler.samples,
      publishedSeconds,
      endLag,
      asked: published.asked,
      acceptedIds: publisher.accepted,
      inbox,
      deliveries: receiver.deliveries,
      kills: killer.kills,
    },
    rules,
  );
  const streamed = [...stream.received.values()];
  const path = await writeReport(
    {
      options,
      rules,
      serviceEnv,
      machine: machine(),
      publishedSeconds,
      endsAt,
      drained,
      samples: sampler.samples,
      kills: killer.kills,
      publishing: { ...published, accepted: publisher.accepted.length, refused: Object.fromEntries(publisher.refused) },
      webhooks: receiver.counts,
      stream: {
        ...stream.counts,
        distinct: stream.received.size,
        readTwice: streamed.filter((count) => count > 1).length,
        storedUnread: publisher.accepted.filter((id) => inbox.has(id) && !stream.received.has(id)),
      },
      workers: workers.counts,
      inboxHeld: inbox.size,
      verdict,
      undeliveredStories: stories,
      logs: Object.fromEntries(stack.supervisor.names().map((name) => [name, stack.supervisor.logs(name)])),
    },
    options.out,
  );
  for (const check of verdict.checks)
    console.log(`${check.passed ? "pass" : "FAIL"}  ${check.name}: ${check.measured} (bound: ${check.bound})`);
  console.log(`\nsoak ${verdict.passed ? "passed" : "FAILED"}; report: ${path}`);
  if (!verdict.passed) process.exitCode = 1;
} catch (error) {
  progress.done();
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
