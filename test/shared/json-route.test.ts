// A Connect JSON route beside Connect: it reads bodies compressed as a Connect client sends them, and refuses a coding
// it does not take as Connect does, naming those it takes.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import test from "ava";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { KeyVerifier } from "../../services/shared/authenticate.js";
import { jsonRoute } from "../../services/shared/json-route.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { scopes } from "../../services/shared/scopes.js";
import { newKey } from "../helpers/routes.js";

// ListInbox answering with the limit it was asked for, behind a key check that takes any key.
async function serveListInbox(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const verifier = new KeyVerifier(
    async () => ({ caller: { orgId: "org", keyId: "key", scopes: [...scopes], allowedCidrs: [], eventsPerMinute: 100 } }),
    { ttlMs: 60_000 },
  );
  const [path, handler] = jsonRoute(
    { method: InboxService.method.listInbox, answer: async (req) => JSON.stringify({ limit: req.limit }) },
    { verifier, logger: createLogger("test", "silent"), metrics: createMetrics("test") },
  );
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
}

const call = (url: string, body: Uint8Array | string, encoding: string) =>
  fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${newKey()}`, "content-type": "application/json", "content-encoding": encoding },
    body: body as BodyInit,
  });

test("json route - a gzip body is read as the request it holds", async (t) => {
  const url = await serveListInbox(t);
  const res = await call(url, gzipSync('{"limit": 7}'), "gzip");
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { limit: 7 });
});

test("json route - a coding not taken is 415 unimplemented, naming gzip and br", async (t) => {
  const url = await serveListInbox(t);
  const res = await call(url, '{"limit": 7}', "zstd");
  t.is(res.status, 415);
  t.is(res.headers.get("accept-encoding"), "gzip, br");
  t.like(await res.json(), { code: "unimplemented" });
});

test("json route - a filter holding a NUL, which Postgres cannot store, is 400 naming it", async (t) => {
  const url = await serveListInbox(t);
  const res = await call(url, JSON.stringify({ source: "shop\u0000" }), "identity");
  t.is(res.status, 400);
  t.like(await res.json(), { code: "invalid_argument", message: "source must not hold a NUL character (U+0000)" });
});
