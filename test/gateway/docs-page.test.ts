// The reference at GET /docs, in a real browser: it renders from the gateway alone, lists every operation, and its try-it reaches the API.
import fs from "node:fs";
import test from "ava";
import type { Browser } from "playwright-core";
import { apiClient } from "../helpers/api-client.js";
import { launchBrowser } from "../helpers/browser.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { documentPath, operations } from "../openapi/openapi-document.js";

let stack: Stack;
let browser: Browser;

test.before(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
});

test.after.always(async () => {
  await Promise.all([browser?.close(), stack?.stop()]);
});

test("docs - GET /openapi.json serves the committed document", async (t) => {
  const res = await fetch(`${stack.gatewayUrl}/openapi.json`);
  t.is(res.status, 200);
  t.regex(res.headers.get("content-type") ?? "", /^application\/json/);
  t.deepEqual(await res.json(), JSON.parse(fs.readFileSync(documentPath, "utf8")));
});

test("docs - a browser that has the page's files is told they did not change, instead of being sent 3.5 MB again", async (t) => {
  const first = await fetch(`${stack.gatewayUrl}/docs/api-reference.js`);
  await first.arrayBuffer();
  const etag = first.headers.get("etag")!;
  t.truthy(etag);
  const again = await fetch(`${stack.gatewayUrl}/docs/api-reference.js`, { headers: { "if-none-match": etag } });
  t.is(again.status, 304);
  t.is((await again.arrayBuffer()).byteLength, 0);
  const page = await fetch(`${stack.gatewayUrl}/docs`);
  t.regex(page.headers.get("content-security-policy") ?? "", /default-src 'self'/, "the page may call nothing but its gateway");
});

test("docs - the page lists every operation, asks nothing of the internet, and its try-it publishes with a key", async (t) => {
  const { key } = await stack.createOrg();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(stack.gatewayUrl) && !request.url().startsWith("data:")) elsewhere.push(request.url());
  });
  await page.goto(`${stack.gatewayUrl}/docs`);
  const sidebar = page.locator("nav, aside").first();
  await sidebar.getByText("Publishes one event").waitFor();
  const listed = (await sidebar.textContent()) ?? "";
  for (const op of operations) t.true(listed.includes(op.spec.summary), `the sidebar lists ${op.id}: "${op.spec.summary}"`);

  await page.goto(`${stack.gatewayUrl}/docs#tag/ingest/POST/v1/events`);
  await page
    .getByRole("button", { name: /Test Request/ })
    .first()
    .click();
  const client = page.getByRole("dialog");
  await client.getByPlaceholder("Token").fill(key);
  await client.getByRole("button", { name: "Send" }).first().click();
  await client.getByText("200 OK").first().waitFor();
  const inbox = await eventually(async () => {
    const events = (await apiClient(stack.gatewayUrl, key).get("/v1/inbox")).body.events;
    return events.length > 0 ? events : undefined;
  }, "the event sent from the page");
  t.like(inbox[0], { type: "order.created", source: "shop" });
  t.deepEqual(elsewhere, [], "the page asked for nothing beyond the gateway");
  await page.close();
});
