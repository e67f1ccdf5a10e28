// Answers the gateway gives before it has read a request's body: every client reads them, over HTTP/1.1 and HTTP/2, with the CPU loaded.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import anyTest, { type TestFn } from "ava";
import { createOrg } from "../helpers/api-client.js";
import { newKey } from "../helpers/routes.js";
import { type GatewayStack, startGatewayStack } from "./gateway-stack.js";

const maxBodyBytes = 64 * 1024;
const maxBatchBodyBytes = 256 * 1024;
/** Well over both limits: most of it is still being sent when the answer comes. */
const oversized = Buffer.alloc(2 * 1024 * 1024, "x");

interface Context {
  stack: GatewayStack;
  key: string;
  bodyFile: string;
  load: ChildProcess;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const stack = await startGatewayStack({ MAX_BODY_BYTES: String(maxBodyBytes), MAX_BATCH_BODY_BYTES: String(maxBatchBodyBytes) });
  const { key } = await createOrg(stack.gateway.url, stack.adminToken);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "early-answers-"));
  const bodyFile = path.join(dir, "body.json");
  await fs.writeFile(bodyFile, oversized);
  // A core kept busy, as on a loaded machine, where a client is slower to read what arrives; for ten minutes at
  // most, should this process die before it can stop it.
  const load = spawn(process.execPath, ["-e", "const end = Date.now() + 600000; while (Date.now() < end) {}"], { stdio: "ignore" });
  t.context = { stack, key, bodyFile, load };
});
test.after.always(async (t) => {
  t.context.load?.kill("SIGKILL");
  await t.context.stack?.stop();
  if (t.context.bodyFile) await fs.rm(path.dirname(t.context.bodyFile), { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: { code?: string; message?: string; request_id?: string };
}

interface Post {
  path: string;
  headers: Record<string, string>;
}

type Client = (baseUrl: string, post: Post, bodyFile: string) => Promise<Answer>;

/** A client's failure to read any answer, as an answer with status 0, so that the test lists every one. */
function unanswered(label: string) {
  return (err: Error): Answer => ({ status: 0, body: { message: `${label}: ${err.message}` } });
}

function parsed(status: number, text: string): Answer {
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    return { status, body: { message: `not JSON: ${text}` } };
  }
}

const viaFetch: Client = async (baseUrl, { path, headers }) => {
  const res = await fetch(`${baseUrl}${path}`, { method: "POST", headers, body: oversized });
  return parsed(res.status, await res.text());
};

// Without a declared length: the gateway finds the body too large as it reads it, not from its headers.
const viaNodeHttp: Client = (baseUrl, { path, headers }) =>
  new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(parsed(res.statusCode!, text)));
    });
    req.on("error", reject);
    for (let offset = 0; offset < oversized.length; offset += 64 * 1024) req.write(oversized.subarray(offset, offset + 64 * 1024));
    req.end();
  });

const viaNodeHttp2: Client = async (baseUrl, { path, headers }) => {
  const session = http2.connect(baseUrl);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    stream.end(oversized);
    const [head] = await once(stream, "response");
    let text = "";
    stream.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    await once(stream, "end");
    return parsed(head[":status"], text);
  } finally {
    session.close();
  }
};

const curl =
  (...protocol: string[]): Client =>
  async (baseUrl, { path, headers }, bodyFile) => {
    const headerArgs = Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
    const args = [...protocol, "-sS", "-w", "\n%{http_code}", "--data-binary", `@${bodyFile}`, ...headerArgs, `${baseUrl}${path}`];
    const { stdout } = await promisify(execFile)("curl", args, { maxBuffer: 1024 * 1024 });
    const cut = stdout.lastIndexOf("\n");
    return parsed(Number(stdout.slice(cut + 1)), stdout.slice(0, cut));
  };

const clients: Array<[string, Client]> = [
  ["fetch over HTTP/1.1", viaFetch],
  ["node:http over HTTP/1.1", viaNodeHttp],
  ["node:http2 over HTTP/2", viaNodeHttp2],
  ["curl over HTTP/1.1", curl("--http1.1")],
  ["curl over HTTP/2", curl("--http2-prior-knowledge")],
];

const json = { "content-type": "application/json" };

for (const [name, client] of clients) {
  test(`early answers - ${name}: 200 oversized events each read their 413 and its JSON error`, async (t) => {
    const { stack, key, bodyFile } = t.context;
    const post = { path: "/v1/events", headers: { ...json, authorization: `Bearer ${key}` } };
    const unread: string[] = [];
    for (let i = 0; i < 200; i++) {
      const answer = await client(stack.gateway.url, post, bodyFile).catch(unanswered(`#${i}`));
      if (answer.status !== 413 || answer.body.code !== "resource_exhausted") unread.push(`#${i}: ${answer.status} ${answer.body.message}`);
    }
    t.deepEqual(unread, []);
  });
}

const earlyAnswers: Array<[string, (context: Context) => Promise<Post>, number, string]> = [
  ["no key", async () => ({ path: "/v1/events", headers: json }), 401, "unauthenticated"],
  [
    "an unknown key",
    async () => ({ path: "/v1/events", headers: { ...json, authorization: `Bearer ${newKey()}` } }),
    401,
    "unauthenticated",
  ],
  [
    "a body that is not JSON",
    async ({ key }) => ({ path: "/v1/events", headers: { "content-type": "text/plain", authorization: `Bearer ${key}` } }),
    415,
    "invalid_argument",
  ],
  [
    "a path that does not exist",
    async ({ key }) => ({ path: "/v1/nowhere", headers: { ...json, authorization: `Bearer ${key}` } }),
    404,
    "not_found",
  ],
  [
    "the wrong verb",
    async ({ key }) => ({ path: "/v1/inbox", headers: { ...json, authorization: `Bearer ${key}` } }),
    405,
    "unimplemented",
  ],
  [
    "a batch over its limit",
    async ({ key }) => ({ path: "/v1/events/batch", headers: { ...json, authorization: `Bearer ${key}` } }),
    413,
    "resource_exhausted",
  ],
  [
    "a Connect call over the gateway's limit",
    async ({ key }) => ({ path: "/triggers.v1.IngestService/PublishEvent", headers: { ...json, authorization: `Bearer ${key}` } }),
    429,
    "resource_exhausted",
  ],
];

for (const [what, post, status, code] of earlyAnswers) {
  test(`early answers - ${what}: every client reads its ${status} while the body is still arriving`, async (t) => {
    const { stack, bodyFile } = t.context;
    const request = await post(t.context);
    for (const [name, client] of clients) {
      for (let i = 0; i < 5; i++) {
        const answer = await client(stack.gateway.url, request, bodyFile).catch(unanswered(`${name} #${i}`));
        t.is(answer.status, status, answer.body.message);
        t.is(answer.body.code, code, name);
      }
    }
  });
}

test("early answers - an address refused for guessing keys reads its 429 while the body is still arriving", async (t) => {
  const { stack, bodyFile } = t.context;
  const gateway = await stack.startGateway({ AUTH_FAILURES_PER_MINUTE: "1" });
  const request = { path: "/v1/events", headers: { ...json, authorization: `Bearer ${newKey()}` } };
  t.is((await viaFetch(gateway.url, request, bodyFile)).status, 401);
  for (const [name, client] of clients) {
    const answer = await client(gateway.url, { ...request, headers: { ...json, authorization: `Bearer ${newKey()}` } }, bodyFile);
    t.is(answer.status, 429, name);
    t.is(answer.body.code, "resource_exhausted", name);
  }
});
