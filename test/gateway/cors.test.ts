// CORS at the gateway: which origins a browser lets call the API, over REST, Connect and gRPC-Web, and what it lets them read.
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import esbuild from "esbuild";
import type { Browser } from "playwright-core";
import { request } from "../helpers/api-client.js";
import { launchBrowser } from "../helpers/browser.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let browser: Browser;
let pages: http.Server;

test.before(async () => {
  // The launcher's default: any port of localhost and 127.0.0.1.
  [stack, browser, pages] = await Promise.all([startStack(), launchBrowser(["MAP refused.test 127.0.0.1"]), servePages()]);
});

test.after.always(async () => {
  pages?.closeAllConnections();
  await Promise.all([browser?.close(), stack?.stop(), new Promise((resolve) => pages?.close(resolve))]);
});

// A web app of its own origin: a page and a script calling the API with a Connect-Web client, as a browser app would.
async function servePages(): Promise<http.Server> {
  const { outputFiles } = await esbuild.build({
    stdin: {
      contents: `
        import { createClient } from "@connectrpc/connect";
        import { createConnectTransport } from "@connectrpc/connect-web";
        import { InboxService } from "./gen/triggers/v1/inbox_pb.js";
        globalThis.listInbox = async (baseUrl, key) => {
          const inbox = createClient(InboxService, createConnectTransport({ baseUrl }));
          return (await inbox.listInbox({ limit: 10 }, { headers: { authorization: "Bearer " + key } })).events.length;
        };`,
      resolveDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../.."),
    },
    bundle: true,
    format: "iife",
    write: false,
  });
  const script = outputFiles[0]!.text;
  const server = http.createServer((req, res) => {
    if (req.url === "/app.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script src="/app.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function pageOrigin(host: string): string {
  return `http://${host}:${(pages.address() as AddressInfo).port}`;
}

/** What a page of the origin gets from the API: the inbox's length over Connect, and a REST publish's status. */
async function callsFrom(host: string, key: string): Promise<{ connect: number | string; rest: number | string }> {
  const page = await browser.newPage();
  await page.goto(`${pageOrigin(host)}/`);
  const result = await page.evaluate(
    async ({ gatewayUrl, key }) => {
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      const connect = await (globalThis as any).listInbox(gatewayUrl, key).catch((err: Error) => `${err.name}: ${err.message}`);
      const rest = await fetch(`${gatewayUrl}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": "from-a-page" },
        body: JSON.stringify({ type: "page.loaded" }),
      }).then(
        (res) => res.status,
        (err: Error) => `${err.name}: ${err.message}`,
      );
      return { connect, rest };
    },
    { gatewayUrl: stack.gatewayUrl, key },
  );
  await page.close();
  return result;
}

test("cors - in a browser, a page of an allowed origin calls the API over Connect and REST; one of another origin cannot", async (t) => {
  const { key } = await stack.createOrg();
  t.deepEqual(await callsFrom("127.0.0.1", key), { connect: 0, rest: 200 });
  const refusedCalls = await callsFrom("refused.test", key);
  t.regex(String(refusedCalls.connect), /ConnectError/);
  t.regex(String(refusedCalls.rest), /TypeError: Failed to fetch/);
});

const allowed = "http://localhost:5173";
const refused = "https://elsewhere.example";

function preflight(origin: string, path: string, method: string, headers: string) {
  return request(stack.gatewayUrl, path, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

test("cors - a preflight from an allowed origin is answered with what REST, Connect and gRPC-Web calls send", async (t) => {
  const calls: Array<[string, string, string]> = [
    ["/v1/events", "POST", "authorization,content-type,idempotency-key"],
    ["/v1/subscriptions/abc", "PATCH", "x-api-key,content-type"],
    ["/triggers.v1.InboxService/ListInbox", "POST", "authorization,content-type,connect-protocol-version,connect-timeout-ms"],
    ["/triggers.v1.InboxService/ListInbox", "POST", "authorization,content-type,x-grpc-web,x-user-agent,grpc-timeout"],
  ];
  for (const [path, method, headers] of calls) {
    const reply = await preflight(allowed, path, method, headers);
    t.is(reply.status, 204, path);
    t.is(reply.headers.get("access-control-allow-origin"), allowed);
    t.regex(reply.headers.get("vary") ?? "", /Origin/);
    t.true(reply.headers.get("access-control-allow-methods")!.split(", ").includes(method), `${path} ${method}`);
    const allowedHeaders = reply.headers.get("access-control-allow-headers")!.toLowerCase().split(", ");
    for (const header of headers.split(",")) t.true(allowedHeaders.includes(header), `${path}: ${header}`);
    t.is(reply.headers.get("access-control-allow-credentials"), null, "credentials are never allowed");
  }
});

test("cors - an allowed origin's answers let its page read the rate-limit, Retry-After, request id and gRPC status headers", async (t) => {
  const { key } = await stack.createOrg();
  const reply = await request(stack.gatewayUrl, "/v1/events", { key, body: { type: "cors.checked" }, headers: { origin: allowed } });
  t.is(reply.status, 200);
  t.is(reply.headers.get("access-control-allow-origin"), allowed);
  const exposed = reply.headers.get("access-control-expose-headers")!.toLowerCase().split(", ");
  for (const header of [
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "retry-after",
    "x-request-id",
    "grpc-status",
    "grpc-message",
  ]) {
    t.true(exposed.includes(header), header);
  }
  const refusal = await request(stack.gatewayUrl, "/v1/inbox", { headers: { origin: allowed } });
  t.is(refusal.status, 401);
  t.is(refusal.headers.get("access-control-allow-origin"), allowed, "errors are readable too");
});

test("cors - a refused origin, and a request with no origin, get no CORS header at all", async (t) => {
  const { key } = await stack.createOrg();
  const answers = [
    await preflight(refused, "/v1/events", "POST", "authorization,content-type"),
    await request(stack.gatewayUrl, "/v1/events", { key, body: { type: "cors.checked" }, headers: { origin: refused } }),
    await request(stack.gatewayUrl, "/v1/events", { key, body: { type: "cors.checked" } }),
  ];
  for (const reply of answers) {
    t.deepEqual(
      [...reply.headers.keys()].filter((name) => name.startsWith("access-control-")),
      [],
    );
  }
  t.is(answers[1]!.status, 200, "the server still serves it: the browser is what keeps the answer from the page");
});

test("cors - a gateway started with CORS_ALLOWED_ORIGINS allows exactly those origins", async (t) => {
  const gateway = await stack.startGateway({ CORS_ALLOWED_ORIGINS: "https://app.example.com" });
  const ask = (origin: string) =>
    request(gateway.url, "/v1/inbox", { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });
  t.is((await ask("https://app.example.com")).headers.get("access-control-allow-origin"), "https://app.example.com");
  t.is((await ask("http://localhost:5173")).headers.get("access-control-allow-origin"), null);
  t.is((await ask("https://app.example.com.evil.example")).headers.get("access-control-allow-origin"), null);
});
