// What `npm start` runs: the services compiled to dist/ (which `npm test` builds first), not their TypeScript sources.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import test from "ava";
import { NODE_FLAGS, REPO_ROOT, SERVICE_NAMES } from "../../tools/stack/services.js";
import { apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startStack } from "../helpers/stack.js";

const dist = path.join(REPO_ROOT, "dist");

test.before(() => {
  if (!existsSync(dist)) throw new Error("dist/ is missing: run the tests with npm test, which builds it first");
});

test("build - every service is compiled with its migrations, and the compiled launcher finds the repository root", async (t) => {
  for (const name of SERVICE_NAMES) t.true(existsSync(path.join(dist, "services", name, "main.js")), name);
  for (const name of ["auth", "inbox", "delivery"])
    t.true(existsSync(path.join(dist, "services", name, "migrations")), `${name} migrations`);
  const compiled = (await import(pathToFileURL(path.join(dist, "tools", "stack", "services.js")).href)) as { REPO_ROOT: string };
  t.is(path.resolve(compiled.REPO_ROOT), path.resolve(REPO_ROOT));
});

test("build - compiled services carry an event from the gateway to the inbox", async (t) => {
  const stack = await startStack({ runtime: "compiled" });
  t.teardown(stack.stop);
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const posted = await api.post("/v1/events", { type: "order.created", data: { n: 1 } });
  t.is(posted.status, 200);
  const page = await eventually(async () => {
    const reply = await api.get("/v1/inbox");
    return reply.body.events?.length ? reply.body : undefined;
  }, "the event in the inbox");
  t.like(page.events[0], { id: posted.body.id, type: "order.created", data: { n: 1 } });
});

test("build - each compiled service runs with the Node flags the stack gives it", async (t) => {
  const stack = await startStack({ runtime: "compiled" });
  t.teardown(stack.stop);
  const started = stack.lifecycle().filter((event) => event.type === "started");
  t.is(started.length, SERVICE_NAMES.length);
  for (const event of started) {
    const argv = (await readFile(`/proc/${event.pid}/cmdline`, "utf8")).split("\0");
    const flags = argv.slice(1, argv.indexOf(path.join("dist", "services", "run.js")));
    t.deepEqual(flags, NODE_FLAGS[event.name as keyof typeof NODE_FLAGS] ?? [], event.name);
  }
});
