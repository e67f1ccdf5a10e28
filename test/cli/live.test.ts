// tail, listen and send's progress in a real terminal under tmux, against a real stack: what a person at the terminal sees.
import { once } from "node:events";
import fs from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { Webhook } from "standardwebhooks";
import { Triggers } from "../../sdk/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { startGatewayProxy } from "./gateway-proxy.js";
import { buildCli, type Cli } from "./run-cli.js";
import { openTerminal, type Terminal } from "./terminal.js";

let stack: Stack;
let cli: Cli;

test.before(async () => {
  [stack, cli] = await Promise.all([startStack(), buildCli()]);
});

test.after.always(async () => {
  await stack?.stop();
  await cli?.remove();
});

async function newOrg(name: string) {
  const { key } = await stack.createOrg();
  const env = { TRIGGERS_URL: stack.gatewayUrl, TRIGGERS_API_KEY: key, TRIGGERS_CONFIG_DIR: path.join(cli.configDir, name) };
  return { env, sdk: new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key }) };
}

async function terminal(t: { teardown(fn: () => Promise<void>): void }, args: string[], env: Record<string, string>): Promise<Terminal> {
  const opened = await openTerminal([process.execPath, cli.bundle, ...args], env);
  t.teardown(opened.close);
  return opened;
}

test("cli - tail in a terminal shows each event as a line once published; Ctrl-C stops it with the cursor to go on from", async (t) => {
  const { env, sdk } = await newOrg("tail");
  const screen = await terminal(t, ["tail", "--type", "order.*"], env);
  await screen.waitFor(/Watching events of type order\.\*; Ctrl-C stops\./);
  const first = await sdk.events.publish({ type: "order.created", source: "shop", data: { order_id: 42 } });
  await sdk.events.publish({ type: "user.created" });
  await screen.waitFor(new RegExp(`\\d\\d:\\d\\d:\\d\\d  order\\.created +shop +${first.id}  \\{"order_id":42\\}`));
  const second = await sdk.events.publish({ type: "order.paid", source: "shop", data: { order_id: 42 } });
  await screen.waitFor(new RegExp(`order\\.paid +shop +${second.id}`));
  t.notRegex(await screen.screen(), /user\.created/, "filtered by type");

  await screen.press("C-c");
  const [, cursor] = await screen.waitFor(/Stopped\. To go on from here: triggers tail --cursor (\S+)\n\[exited 0\]/);

  // Not a terminal: JSON lines, going on after the cursor.
  const third = await sdk.events.publish({ type: "order.shipped" });
  const piped = cli.spawn(["tail", "--cursor", cursor!], { env });
  t.teardown(() => piped.kill("SIGKILL"));
  let stdout = "";
  piped.stdout!.on("data", (chunk) => (stdout += chunk));
  const line = await eventually(() => (stdout.includes("\n") ? stdout.split("\n")[0] : undefined), "a JSON line");
  const exited = once(piped, "exit");
  piped.kill("SIGINT");
  t.deepEqual(await exited, [0, null]);
  const parsed = JSON.parse(line!);
  t.like(parsed.event, { id: third.id, type: "order.shipped" });
  t.truthy(parsed.cursor);
});

test("cli - listen forwards events to a local URL signed with the secret it prints, and a restart forwards what came meanwhile, none twice", async (t) => {
  const { env, sdk } = await newOrg("listen");
  const receiver = await startReceiver((_req, res) => res.writeHead(204).end());
  t.teardown(() => receiver.close());
  const args = ["listen", "--forward-to", receiver.url, "--types", "order.*,invoice.paid"];

  const first = await terminal(t, args, env);
  const [, secret] = await first.waitFor(/Signing secret: (whsec_\S+)\nStarting from now\.\nReady; Ctrl-C stops\./);
  const created = await sdk.events.publish({ type: "order.created", source: "shop", data: { order_id: 42 } });
  await sdk.events.publish({ type: "user.created" });
  const paid = await sdk.events.publish({ type: "invoice.paid" });
  await first.waitFor(new RegExp(`invoice\\.paid +${paid.id}  → 204 in \\d+ ms`));
  t.regex(await first.screen(), new RegExp(`\\d\\d:\\d\\d:\\d\\d  order\\.created +${created.id}  → 204 in \\d+ ms`));
  await first.press("C-c");
  await first.waitFor(/\[exited 0\]/);
  t.deepEqual(
    receiver.requests.map((request) => request.headers["webhook-id"]),
    [created.id, paid.id],
  );

  // Each POST verifies with the printed secret, and its body is the webhook body a subscription gets.
  const webhook = new Webhook(secret!);
  const verified = webhook.verify(receiver.requests[0]!.body, receiver.requests[0]!.headers as Record<string, string>) as any;
  t.deepEqual(Object.keys(verified), ["id", "type", "source", "data", "occurred_at", "received_at"]);
  t.like(verified, { id: created.id, type: "order.created", source: "shop", data: { order_id: 42 } });
  t.is(receiver.requests[0]!.headers["content-type"], "application/json");
  const state = path.join(env.TRIGGERS_CONFIG_DIR, "listen.json");
  t.is((await fs.stat(state)).mode & 0o777, 0o600);

  const whileStopped = [await sdk.events.publish({ type: "order.paid" }), await sdk.events.publish({ type: "order.shipped" })];
  const second = await terminal(t, args, env);
  await second.waitFor(new RegExp(`Signing secret: ${secret!.replace(/[+/]/g, "\\$&")}\\nResuming after the last event forwarded\\.`));
  await second.waitFor(new RegExp(`order\\.shipped +${whileStopped[1]!.id}  → 204`));
  t.deepEqual(
    receiver.requests.map((request) => request.headers["webhook-id"]),
    [created.id, paid.id, ...whileStopped.map((each) => each.id)],
  );
  await second.press("C-c");
  await second.waitFor(/\[exited 0\]/);
});

test("cli - send --file on a terminal draws a progress bar with the events sent a second, then prints the summary", async (t) => {
  const { env } = await newOrg("progress");
  const file = path.join(path.dirname(cli.configDir), "progress.ndjson");
  await fs.writeFile(file, Array.from({ length: 3000 }, (_, n) => `${JSON.stringify({ type: "bar", data: { n } })}\n`).join(""));
  // A proxy that holds the second batch's answer until the test has seen the bar.
  let release!: () => void;
  const released = new Promise<boolean>((resolve) => (release = () => resolve(true)));
  const proxy = await startGatewayProxy(stack.gatewayUrl, (n) => (n === 2 ? released : true));
  t.teardown(() => {
    release();
    return proxy.close();
  });

  const screen = await terminal(t, ["send", "--file", file], { ...env, TRIGGERS_URL: proxy.url });
  await screen.waitFor(/\[#{13}\.{27}\] 1,000\/3,000 lines {2}[\d,]+ events\/s/);
  release();
  const [summary] = await screen.waitFor(/progress\.ndjson: 3,000 lines, 3,000 accepted, 0 duplicate, 0 refused, .*\n\[exited 0\]/);
  t.truthy(summary);
  t.notRegex(await screen.screen(), /\[#+/, "the bar is gone once done");
});

test("cli - login on a terminal asks for the key without echoing it, and saves it", async (t) => {
  const { env } = await newOrg("login");
  const { TRIGGERS_API_KEY: key, ...rest } = env;
  const screen = await terminal(t, ["login", "--url", stack.gatewayUrl], rest);
  await screen.waitFor(/API key: $/m);
  await screen.press(key!, "Enter");
  await screen.waitFor(/Logged in to http:\/\/127\.0\.0\.1:\d+ with key tk_test_\w{12}_… \(saved in .*\)\n\[exited 0\]/);
  t.false((await screen.screen()).includes(key!), "the key never shows");
  const saved = JSON.parse(await fs.readFile(path.join(env.TRIGGERS_CONFIG_DIR, "config.json"), "utf8"));
  t.deepEqual(saved, { url: stack.gatewayUrl, api_key: key });
});
