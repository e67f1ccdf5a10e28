// triggers send --file against a real stack: a run killed half-way and run again stores every line once; refusals by line; rate limits waited out.
import { once } from "node:events";
import fs from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { type Event, Triggers } from "../../sdk/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { startGatewayProxy } from "./gateway-proxy.js";
import { buildCli, type Cli } from "./run-cli.js";

let stack: Stack;
let cli: Cli;

test.before(async () => {
  [stack, cli] = await Promise.all([startStack(), buildCli()]);
});

test.after.always(async () => {
  await stack?.stop();
  await cli?.remove();
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

/** The org's pending events once there are `count`. */
function inboxOf(sdk: Triggers, count: number): Promise<Event[]> {
  return eventually(async () => {
    const events = await all(sdk.inbox.list({ limit: 1000 }));
    return events.length >= count ? events : undefined;
  }, `${count} events in the inbox`);
}

async function writeLines(name: string, lines: string[]): Promise<string> {
  const file = path.join(cli.configDir, "..", name);
  await fs.writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

test("cli - send --file of 10,000 lines killed half-way, its last batch stored but unanswered, and run again stores each line exactly once", async (t) => {
  const { key } = await stack.createOrg();
  const sdk = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key });
  const file = await writeLines(
    "ten-thousand.ndjson",
    Array.from({ length: 10_000 }, (_, index) => JSON.stringify({ type: "load.line", data: { n: index + 1 } })),
  );
  // The proxy passes five batches, then lets the sixth be stored and loses its answer: the client dies where it
  // hurts most, not knowing that its last batch was stored.
  let lost!: () => void;
  const answerLost = new Promise<void>((resolve) => (lost = resolve));
  const proxy = await startGatewayProxy(stack.gatewayUrl, (n) => {
    if (n <= 5) return true;
    lost();
    return false;
  });
  t.teardown(proxy.close);

  const child = cli.spawn(["send", "--file", file], { env: { TRIGGERS_URL: proxy.url, TRIGGERS_API_KEY: key } });
  const exited = once(child, "exit");
  t.teardown(() => child.kill("SIGKILL"));
  await answerLost;
  child.kill("SIGKILL");
  t.deepEqual(await exited, [null, "SIGKILL"]);
  t.is((await inboxOf(sdk, 6000)).length, 6000, "six batches of 1000 stored, the sixth unanswered");

  const rerun = await cli.json(["send", "--file", file], { env: { TRIGGERS_URL: stack.gatewayUrl, TRIGGERS_API_KEY: key } });
  t.like(rerun, { file, lines: 10_000, accepted: 4000, duplicate: 6000, refused: [] });
  t.regex(rerun.run_id, /^[0-9a-f]{16}$/);

  const events = await inboxOf(sdk, 10_000);
  t.is(events.length, 10_000);
  t.is(new Set(events.map((event) => event.id)).size, 10_000, "no event twice");
  t.is(new Set(events.map((event) => event.data?.n)).size, 10_000, "every line once");
});

test("cli - send --file lists each refused line with its number and reason and exits 1; fixed and sent again with --run-id, only those are stored", async (t) => {
  const { key } = await stack.createOrg();
  const env = { TRIGGERS_URL: stack.gatewayUrl, TRIGGERS_API_KEY: key };
  const good = (n: number) => JSON.stringify({ type: "order.created", source: "shop", data: { n } });
  const lines = [good(1), "", "not json", JSON.stringify({ type: "bad type" }), good(5), JSON.stringify({ type: "a", extra: 1 })];
  const file = await writeLines("refusals.ndjson", lines);

  const first = await cli.run(["send", "--file", file, "-o", "json"], { env });
  t.is(first.code, 1);
  const summary = JSON.parse(first.stdout);
  t.like(summary, { lines: 5, accepted: 2, duplicate: 0 });
  t.is(summary.refused.length, 3);
  t.like(summary.refused[0], { line: 3 });
  t.regex(summary.refused[0].reason, /^not JSON: /);
  t.like(summary.refused[1], { line: 4, field: "type" });
  t.like(summary.refused[2], { line: 6, reason: "unknown field extra: an event has type, source, data, occurred_at, idempotency_key" });
  t.like(JSON.parse(first.stderr), { error: { message: "3 of 5 lines refused" } });
  t.regex(JSON.parse(first.stderr).error.hint, new RegExp(`run the same command with --run-id ${summary.run_id}`));

  const human = await cli.run(["send", "--file", file], { env });
  t.is(human.code, 1);
  t.regex(
    human.stdout,
    new RegExp(`^${file}: 5 lines, 0 accepted, 2 duplicate, 3 refused, in [\\d.]+ s \\(\\d+ events/s\\); run id ${summary.run_id}\\n`),
  );
  t.regex(human.stdout, /\n {2}line 3: not JSON: .*\n {2}line 4: type: .*\n {2}line 6: unknown field extra/);
  t.regex(human.stderr, /^triggers: 3 of 5 lines refused\n {2}what to do: fix them, then run the same command with --run-id/);

  lines[2] = good(3);
  lines[3] = good(4);
  lines[5] = good(6);
  await writeLines("refusals.ndjson", lines);
  const fixed = await cli.json(["send", "--file", file, "--run-id", summary.run_id], { env });
  t.like(fixed, { lines: 5, accepted: 3, duplicate: 2, refused: [] });
  const events = await inboxOf(new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key }), 5);
  t.deepEqual(events.map((event) => event.data?.n).sort(), [1, 3, 4, 5, 6]);
});

test("cli - send --file halves a batch larger than the plan's minute and waits out 429s, saying so on stderr", async (t) => {
  // 600 events a minute, ten a second: a batch of 650 is more than the plan's minute, and the second half must wait for tokens.
  const { key } = await stack.createOrg(undefined, { plan: "custom", events_per_minute: 600 });
  const file = await writeLines(
    "over-the-plan.ndjson",
    Array.from({ length: 650 }, (_, index) => JSON.stringify({ type: "paced", data: { n: index } })),
  );
  const result = await cli.run(["send", "--file", file], { env: { TRIGGERS_URL: stack.gatewayUrl, TRIGGERS_API_KEY: key } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /: 650 lines, 650 accepted, 0 duplicate, 0 refused/);
  t.regex(result.stderr, /rate limited \(429\), the org's plan allows no more now: waiting \d+ s before trying again/);
});
