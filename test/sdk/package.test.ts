// The SDK as users get it: the npm pack tarball installed in a fresh project (imports, types under tsc, a publish),
// and the browser bundle publishing from a page in headless Chromium.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";
import esbuild from "esbuild";
import { Webhook } from "standardwebhooks";
import { Triggers } from "../../sdk/src/index.js";
import { launchBrowser } from "../helpers/browser.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sdk = path.join(root, "sdk");
const tsc = path.join(root, "node_modules/typescript/bin/tsc");

let stack: Stack;
let scratch: string;
let tarball: string;

test.before(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "triggers-sdk-"));
  // npm pack runs the package's prepack script, which builds dist/ from sdk/src and gen/.
  const packing = run("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: sdk });
  stack = await startStack();
  tarball = path.join(scratch, JSON.parse((await packing).stdout)[0].filename);
});

test.after.always(async () => {
  await stack?.stop();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

/** Whether the stack holds the event: the inbox has it a moment after the publish answered. */
async function stored(key: string, id: string): Promise<boolean> {
  const triggers = new Triggers({ baseUrl: stack.gatewayUrl, apiKey: key });
  return eventually(
    () =>
      triggers.events.get(id).then(
        (read) => read.event?.id === id || undefined,
        () => undefined,
      ),
    `event ${id}`,
  );
}

const freshProject = {
  "package.json": JSON.stringify({ name: "fresh", private: true, type: "module" }),
  "tsconfig.json": JSON.stringify({
    compilerOptions: { module: "nodenext", target: "es2022", strict: true, types: ["node"], outDir: "out", skipLibCheck: false },
  }),
  "main.ts": `
import { Code, Triggers, TriggersError, verifyWebhook, type Event, type TriggersOptions } from "@triggers/sdk";
import { IngestService, createClient } from "@triggers/sdk/connect";

const options: TriggersOptions = { baseUrl: process.env.GATEWAY_URL!, apiKey: process.env.API_KEY! };
const triggers = new Triggers(options);
const published = await triggers.events.publish({ type: "order.created", data: { order_id: 42 } });
const id: string = published.id;
// The types are real, not any: a publish without a type does not compile.
// @ts-expect-error
await triggers.events.publish({ data: {} }).catch(() => undefined);
const check: (err: TriggersError) => boolean = (err) => err.code === Code.NotFound && err.status === 404;
const verify: (secret: string, headers: Headers, body: string) => Promise<Event> = verifyWebhook;
console.log(JSON.stringify({ id, service: IngestService.typeName, client: typeof createClient, check: typeof check, verify: typeof verify }));
`,
};

test("sdk - the packed tarball installs in a fresh project outside the repository, its types resolve under tsc, it publishes, and the README's quick start runs as written", async (t) => {
  const project = path.join(scratch, "fresh");
  await fs.mkdir(project);
  for (const [name, text] of Object.entries(freshProject)) await fs.writeFile(path.join(project, name), text);
  const typesNode = JSON.parse(await fs.readFile(path.join(root, "node_modules/@types/node/package.json"), "utf8")).version;
  await run("npm", ["install", tarball, `@types/node@${typesNode}`, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project });

  const installed = JSON.parse(await fs.readFile(path.join(project, "node_modules/@triggers/sdk/package.json"), "utf8"));
  t.deepEqual(Object.keys(installed.dependencies).sort(), ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-web"]);
  await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });

  const { key } = await stack.createOrg();
  const { stdout } = await run(process.execPath, ["out/main.js"], {
    cwd: project,
    env: { ...process.env, GATEWAY_URL: stack.gatewayUrl, API_KEY: key },
  });
  const printed = JSON.parse(stdout);
  t.like(printed, { service: "triggers.v1.IngestService", client: "function", check: "function", verify: "function" });
  t.true(await stored(key, printed.id));

  // The README's quick start, as written but for the gateway's address, prints the event it published and acks it.
  const readme = await fs.readFile(path.join(sdk, "README.md"), "utf8");
  const quickStart = /```ts\n([\s\S]*?)```/.exec(readme)![1]!.replace("http://127.0.0.1:8080", stack.gatewayUrl);
  await fs.writeFile(path.join(project, "quickstart.mjs"), quickStart);
  const { key: quickKey } = await stack.createOrg();
  const quick = await run(process.execPath, ["quickstart.mjs"], { cwd: project, env: { ...process.env, TRIGGERS_KEY: quickKey } });
  t.is(quick.stdout, "order.created { order_id: 42 }\n");
  const after = await new Triggers({ baseUrl: stack.gatewayUrl, apiKey: quickKey }).inbox.listPage();
  t.deepEqual(after.events, [], "acknowledged");
});

test("sdk - the browser bundle loads in headless Chromium, publishes from a page and verifies a webhook there", async (t) => {
  const bundle = await esbuild.build({
    entryPoints: [path.join(sdk, "dist/sdk/src/index.js")],
    bundle: true,
    format: "iife",
    globalName: "TriggersSDK",
    // For the browser, esbuild refuses to bundle any Node built-in: the build fails if the SDK imports one.
    platform: "browser",
    write: false,
  });
  const { key } = await stack.createOrg();
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const body = JSON.stringify({ id: "01a244cc-5627-76ee-bf77-8584f25c03cc", type: "order.created", data: { order_id: 42 } });
  const sentAt = new Date();
  const headers = {
    "webhook-id": "01a244cc-5627-76ee-bf77-8584f25c03cc",
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign("01a244cc-5627-76ee-bf77-8584f25c03cc", sentAt, body),
  };

  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  // A page of the gateway's own origin calls it without CORS, which is not this test's subject.
  await page.goto(`${stack.gatewayUrl}/v1/inbox`);
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  const answer = await page.evaluate(
    async ({ baseUrl, apiKey, webhook }) => {
      const { Triggers, verifyWebhook } = (globalThis as any).TriggersSDK;
      const triggers = new Triggers({ baseUrl, apiKey });
      const published = await triggers.events.publish({ type: "browser.clicked", data: { from: "chromium" } });
      const verified = await verifyWebhook(webhook.secret, new Headers(webhook.headers), webhook.body);
      const refused = await verifyWebhook(webhook.secret, webhook.headers, `${webhook.body} `).then(
        () => "accepted",
        (err: Error) => err.name,
      );
      return { id: published.id as string, verified: verified.id as string, refused, node: typeof (globalThis as any).process };
    },
    { baseUrl: stack.gatewayUrl, apiKey: key, webhook: { secret, headers, body } },
  );
  t.like(answer, { verified: "01a244cc-5627-76ee-bf77-8584f25c03cc", refused: "WebhookVerificationError", node: "undefined" });
  t.true(await stored(key, answer.id));
});
