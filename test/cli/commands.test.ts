// Every command of the triggers CLI against a real stack, as a child process: exit codes, --output json on stdout, text for people.
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import test from "ava";
import { Triggers } from "../../sdk/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { buildCli, type Cli } from "./run-cli.js";

let stack: Stack;
let cli: Cli;

test.before(async () => {
  // One quick retry, so that a failing endpoint's delivery fails for good within the test.
  [stack, cli] = await Promise.all([
    startStack({ env: { DELIVERY_RETRY_SCHEDULE: "100ms", DELIVERY_POLL_INTERVAL_MS: "50" } }),
    buildCli(),
  ]);
});

test.after.always(async () => {
  await stack?.stop();
  await cli?.remove();
});

/** A new org, and the environment that points the CLI at it. */
async function newOrg() {
  const { key } = await stack.createOrg();
  return {
    key,
    env: { TRIGGERS_URL: stack.gatewayUrl, TRIGGERS_API_KEY: key },
    sdk: new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key }),
  };
}

async function receiver(t: { teardown(fn: () => Promise<void>): void }, status = () => 200): Promise<Receiver> {
  const started = await startReceiver((_req, res) => res.writeHead(status()).end());
  t.teardown(() => started.close());
  return started;
}

/** A port nothing listens on: a gateway that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("cli - login checks the key and saves it with the URL in a file only its owner can read; env overrides it", async (t) => {
  const { key } = await newOrg();
  const dir = path.join(cli.configDir, "login");
  const login = await cli.run(["login", "--url", stack.gatewayUrl, "--config-dir", dir], { input: `${key}\n` });
  t.is(login.code, 0, login.stderr);
  t.regex(login.stdout, /^Logged in to http:\/\/127\.0\.0\.1:\d+ with key tk_test_[0-9A-Za-z]{12}_… \(saved in .*config\.json\)\n$/);
  t.false(login.stdout.includes(key), "the key is never printed");
  const file = path.join(dir, "config.json");
  t.is((await fs.stat(file)).mode & 0o777, 0o600);
  t.is((await fs.stat(dir)).mode & 0o777, 0o700);
  t.deepEqual(JSON.parse(await fs.readFile(file, "utf8")), { url: stack.gatewayUrl, api_key: key });

  // The saved key and URL serve the next commands; TRIGGERS_API_KEY wins over them.
  t.deepEqual((await cli.json(["inbox", "list", "--config-dir", dir])).events, []);
  const overridden = await cli.run(["inbox", "list", "--config-dir", dir], { env: { TRIGGERS_API_KEY: "tk_test_nope" } });
  t.is(overridden.code, 1);
  t.regex(overridden.stderr, /unauthenticated/);
  t.regex(overridden.stderr, /what to do: .*run `triggers login` with a valid key, or set TRIGGERS_API_KEY/);

  // A key the gateway refuses is not saved.
  const refused = await cli.run(["login", "--config-dir", dir, "--api-key", "tk_test_000000000000_00000000000000000000000000000000000000"]);
  t.is(refused.code, 1);
  t.is(JSON.parse(await fs.readFile(file, "utf8")).api_key, key);

  const json = await cli.json(["login", "--config-dir", path.join(dir, "again"), "--url", stack.gatewayUrl], { input: key });
  t.like(json, { url: stack.gatewayUrl, can_read_events: true });
  t.regex(json.key_prefix, /^tk_test_[0-9A-Za-z]{12}$/);
});

test("cli - with no key or URL anywhere, a command exits 2 and says how to set them", async (t) => {
  const dir = path.join(cli.configDir, "empty");
  const noKey = await cli.run(["inbox", "list", "--config-dir", dir]);
  t.is(noKey.code, 2);
  t.is(noKey.stdout, "");
  t.is(noKey.stderr, "triggers: no API key\n  what to do: run `triggers login`, or set TRIGGERS_API_KEY\n");
  const noUrl = await cli.run(["inbox", "list", "--config-dir", dir], { env: { TRIGGERS_API_KEY: "tk_test_x" } });
  t.is(noUrl.code, 2);
  t.regex(noUrl.stderr, /no gateway URL\n {2}what to do: run `triggers login --url <gateway>`, or set TRIGGERS_URL/);
});

test("cli - send publishes an event from flags or a JSON event on stdin, once per idempotency key", async (t) => {
  const { env, sdk } = await newOrg();
  const sent = await cli.json(["send", "order.created", "--data", '{"order_id": 42}', "--source", "shop"], { env });
  t.like(sent, { duplicate: false, status: "EVENT_STATUS_ACCEPTED" });
  const read = await sdk.events.get(sent.id);
  t.like(read.event, { type: "order.created", source: "shop", data: { order_id: 42 } });

  const event = JSON.stringify({
    type: "order.paid",
    data: { order_id: 42 },
    idempotency_key: "order-42-paid",
    occurred_at: "2026-12-01T10:00:00Z",
  });
  const first = await cli.run(["send"], { env, input: event });
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /^accepted event [0-9a-f-]{36} \(order\.paid\)\n$/);
  const again = await cli.run(["send"], { env, input: event });
  t.regex(again.stdout, /^duplicate: event [0-9a-f-]{36} was stored before with this idempotency key\n$/);
  t.is(again.stdout.split(" ")[2], first.stdout.split(" ")[2], "the same event");
});

test("cli - a wrong command line exits 2 and sends nothing: bad JSON, unknown flags, bad values, missing arguments", async (t) => {
  const { env, sdk } = await newOrg();
  const cases: Array<[string[], RegExp, string?]> = [
    [["send", "order.created", "--data", "{order_id: 42}"], /--data is not JSON: .*\n {2}what to do: quote it for the shell/],
    [["send", "order.created", "--data", "[1, 2]"], /--data is not a JSON object/],
    [["send"], /stdin holds no event: not JSON/, ""],
    [["send"], /stdin holds no event: unknown field typo/, '{"type": "a", "typo": 1}'],
    [["send", "order.created", "--file", "events.ndjson"], /--file takes each event from its lines/],
    [["send", "--file", "/nonexistent/events.ndjson"], /cannot read \/nonexistent\/events\.ndjson/],
    [["inbox", "list", "--status", "lost"], /argument 'lost' is invalid. Allowed choices are pending, acked, delivered, failed, all/],
    [["inbox", "list", "--since", "yesterday"], /give an RFC 3339 time .* or how long ago/],
    [["inbox", "list", "--limit", "0"], /give a whole number from 1/],
    [["inbox", "lst"], /unknown command 'lst'\n\(Did you mean list\?\)/],
    [["inbox", "list", "--colour"], /unknown option '--colour'/],
    [["events", "get"], /missing required argument 'id'/],
    [["deliveries", "list"], /give --event <id> or --subscription <id>, one of them/],
    [["subscriptions", "create", "--url", "ftp://x"], /give an http or https URL/],
    [["completion", "fish"], /Allowed choices are bash, zsh/],
    [["--output", "yaml", "keys", "list"], /Allowed choices are text, json/],
    [[], /Usage: triggers/],
  ];
  for (const [args, message, input] of cases) {
    const result = await cli.run(args, { env, input });
    t.is(result.code, 2, `triggers ${args.join(" ")}: ${result.stderr}`);
    t.regex(result.stderr, message, `triggers ${args.join(" ")}`);
    t.is(result.stdout, "", `triggers ${args.join(" ")} prints nothing on stdout`);
  }
  t.deepEqual((await sdk.inbox.listPage({ status: "acked" })).events, []);
  t.deepEqual((await sdk.inbox.listPage()).events, [], "nothing was sent");

  const help = await cli.run(["inbox", "list", "--help"]);
  t.is(help.code, 0);
  t.regex(help.stdout, /Usage: triggers inbox list \[options\]/);
});

test("cli - an API error exits 1 naming the cause, the request id and what to do; JSON on stderr with --output json", async (t) => {
  const { env } = await newOrg();
  const missing = await cli.run(["events", "get", "01a244cb-8eab-7742-a34a-c207cdd2484d"], { env });
  t.is(missing.code, 1);
  t.is(missing.stdout, "");
  t.regex(
    missing.stderr,
    /^triggers: not found: .* \(404, request id \S+\)\n {2}what to do: check the id: `triggers inbox list --status all` lists events\n$/,
  );

  const json = await cli.run(["events", "get", "01a244cb-8eab-7742-a34a-c207cdd2484d", "-o", "json"], { env });
  t.is(json.code, 1);
  t.is(json.stdout, "");
  t.like(JSON.parse(json.stderr), { error: { code: "not_found", status: 404 } });
  t.truthy(JSON.parse(json.stderr).error.request_id);

  const invalid = await cli.run(["send", "bad type"], { env });
  t.is(invalid.code, 1);
  t.regex(invalid.stderr, /invalid argument: .*\(400, request id \S+\)\n {2}what to do: fix type, then run the command again/);

  const down = `http://127.0.0.1:${await closedPort()}`;
  const login = await cli.run(["login", "--url", down, "--config-dir", path.join(cli.configDir, "down")], { input: "tk_test_x" });
  t.is(login.code, 1);
  t.is(
    login.stderr,
    `triggers: no answer from the gateway at ${down}\n  what to do: check that it is up (npm start runs one) and that --url is right\n`,
  );
  const unreachable = await cli.run(["inbox", "list"], { env: { ...env, TRIGGERS_URL: down } });
  t.is(unreachable.code, 1);
  t.regex(unreachable.stderr, /no answer from .*waiting \d+ s before trying again/, "retries are told");
  t.regex(unreachable.stderr, new RegExp(`what to do: check that the gateway at ${down} is up`));
});

test("cli - inbox list filters and pages up to --limit, as a table or JSON; inbox ack acknowledges, and unknown ids exit 1", async (t) => {
  const { env, sdk } = await newOrg();
  for (const type of ["order.created", "order.paid", "user.created", "order.shipped"])
    await sdk.events.publish({ type, source: "shop", data: { type } });
  await eventually(async () => ((await sdk.inbox.listPage()).events.length === 4 ? true : undefined), "4 events in the inbox");

  const orders = await cli.json(["inbox", "list", "--type", "order.*", "--source", "shop", "--since", "1h"], { env });
  t.deepEqual(
    orders.events.map((event: any) => event.type),
    ["order.created", "order.paid", "order.shipped"],
  );
  t.is(orders.has_more, false);
  const two = await cli.run(["inbox", "list", "--limit", "2", "--order", "desc"], { env });
  t.is(two.code, 0);
  const rows = two.stdout.trim().split("\n");
  t.regex(rows[0]!, /^ID +TYPE +SOURCE +RECEIVED +DELIVERY +DATA$/);
  t.is(rows.length, 3);
  t.regex(rows[1]!, /^[0-9a-f-]{36} +order\.shipped +shop +\d{4}-\d\d-\d\dT[\d:]+Z +- +\{"type":"order\.shipped"\}$/);
  t.regex(two.stderr, /More events: add --cursor \S+ to go on\./);
  const cursor = /--cursor (\S+)/.exec(two.stderr)![1]!;
  const rest = await cli.json(["inbox", "list", "--order", "desc", "--cursor", cursor], { env });
  t.deepEqual(
    rest.events.map((event: any) => event.type),
    ["order.paid", "order.created"],
  );

  const ids = orders.events.map((event: any) => event.id);
  t.deepEqual(await cli.json(["inbox", "ack", ...ids.slice(0, 2)], { env }), { acked: 2, already_acked: 0, unknown_ids: [] });
  const human = await cli.run(["inbox", "ack", ...ids.slice(0, 2)], { env });
  t.is(human.stdout, "Acknowledged 0 (2 already acknowledged).\n");
  const acked = await cli.json(["inbox", "list", "--status", "acked"], { env });
  t.is(acked.events.length, 2);
  t.is((await cli.json(["inbox", "list", "--status", "all"], { env })).events.length, 4);
  const unknown = await cli.run(["inbox", "ack", ids[2], "01a244cb-8eab-7742-a34a-c207cdd2484d"], { env });
  t.is(unknown.code, 1);
  t.is(unknown.stdout, "Acknowledged 1 (0 already acknowledged).\n");
  t.regex(unknown.stderr, /the org has no event with id 01a244cb-8eab-7742-a34a-c207cdd2484d/);

  const waited = await cli.json(["inbox", "list", "--type", "nothing.*", "--wait", "1"], { env });
  t.deepEqual(waited.events, []);
  t.is((await cli.run(["inbox", "list", "--type", "nothing.*"], { env })).stdout, "No events match.\n");
});

test("cli - events get shows an event with its history, and events delete takes it out", async (t) => {
  const { env, sdk } = await newOrg();
  const { id } = await sdk.events.publish({ type: "order.created", source: "shop", data: { order_id: 42 } });
  const read = await eventually(async () => {
    const result = await cli.run(["events", "get", id], { env });
    return result.code === 0 ? result : undefined;
  }, "the event");
  t.regex(read.stdout, new RegExp(`^id +${id}\ntype +order\\.created\nsource +shop\n`));
  t.regex(read.stdout, /\ndata +\{"order_id":42\}\nhistory +received \d{4}-/);
  const json = await cli.json(["events", "get", id], { env });
  t.like(json, { event: { id, type: "order.created", data: { order_id: 42 } }, delivery_attempts: 0 });
  t.is(json.history[0].status, "EVENT_HISTORY_STATUS_RECEIVED");

  t.deepEqual(await cli.json(["events", "delete", id], { env }), { id, deleted: true });
  t.is((await cli.run(["events", "get", id], { env })).code, 1);
  const again = await cli.run(["events", "delete", id], { env });
  t.is(again.code, 1, "deleting what is gone is not found");
});

test("cli - subscriptions: create shows the secret once, list and get never do; pause, resume, rotate-secret, delete", async (t) => {
  const { env } = await newOrg();
  const hook = await receiver(t);
  const created = await cli.json(
    ["subscriptions", "create", "--url", hook.url, "--types", "order.*,user.created", "--description", "the warehouse"],
    {
      env,
    },
  );
  t.like(created, { url: hook.url, event_types: ["order.*", "user.created"], state: "SUBSCRIPTION_STATE_ACTIVE" });
  t.regex(created.secret, /^whsec_/);
  const id = created.id;

  const human = await cli.run(["subscriptions", "create", "--url", hook.url], { env });
  t.regex(
    human.stdout,
    /^Created subscription \S+\.\nid +\S+\nurl +http:.*\ntypes +\(every type\)\n[\s\S]*\nSigning secret, shown only now \(keep it\): whsec_\S+\n$/,
  );

  const list = await cli.json(["subscriptions", "list"], { env });
  t.is(list.subscriptions.length, 2);
  t.false(JSON.stringify(list).includes("whsec_"), "no secret in a listing");
  const table = await cli.run(["subscriptions", "list"], { env });
  t.regex(table.stdout, /^ID +STATE +URL +TYPES +DESCRIPTION\n/);
  t.regex(table.stdout, new RegExp(`${id} +active +http://127\\.0\\.0\\.1:\\d+/hook +order\\.\\*, user\\.created +the warehouse`));
  t.false((await cli.run(["subscriptions", "get", id], { env })).stdout.includes("whsec_"));

  t.like(await cli.json(["subscriptions", "pause", id], { env }), { state: "SUBSCRIPTION_STATE_DISABLED" });
  t.is((await cli.run(["subscriptions", "resume", id], { env })).stdout, `Subscription ${id} is active.\n`);
  const rotated = await cli.json(["subscriptions", "rotate-secret", id], { env });
  t.regex(rotated.secret, /^whsec_/);
  t.not(rotated.secret, created.secret);
  t.deepEqual(await cli.json(["subscriptions", "delete", id], { env }), { id, deleted: true });
  const gone = await cli.run(["subscriptions", "get", id], { env });
  t.is(gone.code, 1);
  t.regex(gone.stderr, /what to do: check the id: `triggers subscriptions list` lists subscriptions/);
});

test("cli - deliveries list an event's and a subscription's deliveries; retry sends one again, replay the failed ones", async (t) => {
  const { env, sdk } = await newOrg();
  let answer = 500;
  const hook = await receiver(t, () => answer);
  const { id: sub } = await cli.json(["subscriptions", "create", "--url", hook.url], { env });
  const { id: event } = await cli.json(["send", "order.created"], { env });

  const failed = await eventually(async () => {
    const { deliveries } = await cli.json(["deliveries", "list", "--event", event], { env });
    return deliveries[0]?.state === "DELIVERY_STATE_FAILED" ? deliveries[0] : undefined;
  }, "a failed delivery");
  t.is(failed.subscription_id, sub);
  t.is(failed.attempts[0].response_status, 500);
  const forSubscription = await cli.json(["deliveries", "list", "--subscription", sub, "--state", "failed"], { env });
  t.deepEqual(
    forSubscription.deliveries.map((each: any) => each.id),
    [failed.id],
  );
  const human = await cli.run(["deliveries", "list", "--event", event], { env });
  t.regex(human.stdout, /^ID +EVENT +SUBSCRIPTION +STATE +ATTEMPTS +LAST ATTEMPT +NEXT\n/);
  t.regex(human.stdout, new RegExp(`${failed.id} +${event} +${sub} +failed +2 +failed 500`));

  answer = 200;
  const retried = await cli.json(["deliveries", "retry", failed.id], { env });
  t.is(retried.id, failed.id);
  await eventually(async () => {
    const { deliveries } = await cli.json(["deliveries", "list", "--event", event], { env });
    return deliveries[0]?.state === "DELIVERY_STATE_SUCCEEDED" ? true : undefined;
  }, "the retried delivery to succeed");

  answer = 500;
  const { id: second } = await sdk.events.publish({ type: "order.paid" });
  await eventually(async () => {
    const deliveries = await sdk.deliveries.listForEvent(second);
    return deliveries[0]?.attempts.length === 2 ? true : undefined;
  }, "the second event's delivery to fail");
  answer = 200;
  const replayed = await cli.run(["replay", sub, "--since", "1h"], { env });
  t.is(replayed.code, 0, replayed.stderr);
  t.is(replayed.stdout, `Replayed 1 failed deliveries of subscription ${sub}.\n`);
  await eventually(async () => {
    const deliveries = await sdk.deliveries.listForEvent(second);
    return deliveries[0]?.attempts.length === 3 ? true : undefined;
  }, "the replayed attempt");
});

test("cli - keys: create shows the secret once, list never does; rotate issues a new secret and revoke ends a key", async (t) => {
  const { env } = await newOrg();
  const created = await cli.json(["keys", "create", "--name", "shop", "--scopes", "events:write"], { env });
  t.like(created, { name: "shop", scopes: ["events:write"] });
  t.regex(created.secret, /^tk_test_/);
  const list = await cli.json(["keys", "list"], { env });
  t.true(list.api_keys.some((key: any) => key.id === created.id));
  t.false(JSON.stringify(list).includes(created.secret), "no secret in a listing");
  const table = await cli.run(["keys", "list"], { env });
  t.regex(table.stdout, /^ID +NAME +PREFIX +SCOPES +CREATED +LAST USED +EXPIRES\n/);
  t.regex(table.stdout, new RegExp(`${created.id} +shop +tk_test_\\S+ +events:write `));

  // The new key works for what its scope allows, and is refused the rest.
  const writer = { ...env, TRIGGERS_API_KEY: created.secret };
  t.is((await cli.run(["send", "order.created"], { env: writer })).code, 0);
  const refused = await cli.run(["inbox", "list"], { env: writer });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /permission denied: .*\n {2}what to do: the key lacks what this needs/);

  const rotated = await cli.run(["keys", "rotate", created.id, "--grace", "0"], { env });
  t.is(rotated.code, 0, rotated.stderr);
  t.regex(
    rotated.stdout,
    new RegExp(
      `^New key (\\S+) replaces ${created.id}, which works until \\S+\\.\\nSecret, shown only now \\(keep it\\): tk_test_\\S+\\n$`,
    ),
  );
  const fresh = /^New key (\S+)/.exec(rotated.stdout)![1]!;
  t.deepEqual(await cli.json(["keys", "revoke", fresh], { env }), { id: fresh, revoked: true });
  const after = await cli.json(["keys", "list"], { env });
  t.false(after.api_keys.some((key: any) => key.id === fresh));
});

test("cli - completion prints a bash or zsh script, and with --output json the script in JSON", async (t) => {
  const bash = await cli.run(["completion", "bash"]);
  t.is(bash.code, 0);
  t.regex(bash.stdout, /^# bash completion for triggers[\s\S]*\ncomplete -F _triggers triggers\n$/);
  t.regex((await cli.run(["completion", "zsh"])).stdout, /^#compdef triggers\n/);
  const json = await cli.json(["completion", "zsh"]);
  t.is(json.shell, "zsh");
  t.regex(json.script, /^#compdef triggers\n/);
});
