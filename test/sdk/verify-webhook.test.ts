// verifyWebhook in memory: signatures made by the standardwebhooks library, the shapes headers and bodies come in, what is refused.
import { randomBytes } from "node:crypto";
import test from "ava";
import { Webhook } from "standardwebhooks";
import { verifyWebhook, WebhookVerificationError } from "../../sdk/src/index.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;
const body = JSON.stringify({
  id: "01a244cc-5627-76ee-bf77-8584f25c03cc",
  type: "order.created",
  source: "shop",
  data: { order_id: 42 },
  occurred_at: "2026-11-30T10:00:00Z",
  received_at: "2026-11-30T10:00:00.123Z",
});

/** The headers of a webhook sent at `sentAt`, signed by the reference library with each secret given. */
function signed(sentAt: Date, secrets = [secret]): Record<string, string> {
  const id = "01a244cc-5627-76ee-bf77-8584f25c03cc";
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
    "webhook-signature": secrets.map((each) => new Webhook(each).sign(id, sentAt, body)).join(" "),
  };
}

test("sdk - verifyWebhook accepts what the Standard Webhooks library signs, from Node's headers, fetch's Headers, a string or bytes", async (t) => {
  const headers = signed(new Date());
  const event = await verifyWebhook(secret, headers, body);
  t.like(event, { id: "01a244cc-5627-76ee-bf77-8584f25c03cc", type: "order.created", source: "shop", data: { order_id: 42 } });
  t.is(event.receivedAt?.nanos, 123_000_000);
  t.is((await verifyWebhook(secret, new Headers(headers), new TextEncoder().encode(body))).id, event.id);
  const shouted = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), [value]]));
  t.is((await verifyWebhook(secret, shouted, body)).id, event.id, "header names in any case, values as lists");
  t.is((await verifyWebhook(secret.slice("whsec_".length), headers, body)).id, event.id, "a secret without its prefix");
});

test("sdk - verifyWebhook finds the signature of its secret among several, and tries each secret it is given", async (t) => {
  const other = `whsec_${randomBytes(32).toString("base64")}`;
  const headers = signed(new Date(), [other, secret]);
  t.truthy(await verifyWebhook(secret, headers, body));
  t.truthy(await verifyWebhook([other, secret], signed(new Date(), [secret]), body));
  await t.throwsAsync(verifyWebhook(other, signed(new Date(), [secret]), body), { instanceOf: WebhookVerificationError });
});

test("sdk - verifyWebhook refuses a missing header, a timestamp over five minutes off, and a signature that is not base64", async (t) => {
  const now = new Date();
  const headers = signed(now);
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    const { [name]: _, ...without } = headers;
    await t.throwsAsync(verifyWebhook(secret, without, body), { instanceOf: WebhookVerificationError, message: new RegExp(name) });
  }
  const sixMinutes = 6 * 60_000;
  await t.throwsAsync(verifyWebhook(secret, headers, body, { now: new Date(now.getTime() + sixMinutes) }), { message: /too old/ });
  await t.throwsAsync(verifyWebhook(secret, headers, body, { now: new Date(now.getTime() - sixMinutes) }), { message: /in the future/ });
  t.truthy(await verifyWebhook(secret, headers, body, { now: new Date(now.getTime() + sixMinutes), toleranceSeconds: 600 }));
  await t.throwsAsync(verifyWebhook(secret, { ...headers, "webhook-timestamp": "yesterday" }, body), {
    instanceOf: WebhookVerificationError,
  });
  await t.throwsAsync(verifyWebhook(secret, { ...headers, "webhook-signature": "v1,not*base64" }, body), {
    instanceOf: WebhookVerificationError,
  });
  await t.throwsAsync(verifyWebhook(secret, { ...headers, "webhook-signature": "v2,abc" }, body), { instanceOf: WebhookVerificationError });
});

test("sdk - verifyWebhook refuses a signed body that is not an event, and a secret that is not one", async (t) => {
  const id = "msg_1";
  const sentAt = new Date();
  const notAnEvent = '{"hello": "world"}';
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, sentAt, notAnEvent),
  };
  await t.throwsAsync(verifyWebhook(secret, headers, notAnEvent), {
    instanceOf: WebhookVerificationError,
    message: /not a Triggers event/,
  });
  await t.throwsAsync(verifyWebhook("whsec_", signed(new Date()), body), { instanceOf: TypeError });
  await t.throwsAsync(verifyWebhook([], signed(new Date()), body), { instanceOf: TypeError });
});
