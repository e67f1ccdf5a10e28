// Checks that a webhook Zapier received was sent by Triggers: its Standard Webhooks signature, with the subscription's secret.
const { timingSafeEqual } = require("node:crypto");
const { Webhook } = require("standardwebhooks");

/**
 * Zapier hands the app the request as it came, its header names in Camel-Case and, but for Content-Type and
 * Content-Length, prefixed with "Http-": webhook-id arrives as Http-Webhook-Id.
 */
function signatureHeaders(rawRequest) {
  const headers = Object.fromEntries(Object.entries(rawRequest?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const header = (name) => String(headers[`http-${name}`] ?? headers[name] ?? "");
  return { id: header("webhook-id"), timestamp: header("webhook-timestamp"), signatures: header("webhook-signature") };
}

/**
 * The event the request carries, parsed from the very bytes that were signed; throws unless one of its v1
 * signatures is the secret's over its id, timestamp and body. Its age is not judged, as standardwebhooks' verify
 * would (5 minutes): Zapier has answered Triggers already when it runs perform, perhaps later (a held run, a
 * replay from the Zap's history), so an event refused here is lost, and only Zapier knows the hook's URL.
 */
function verifiedEvent(z, secret, rawRequest) {
  const refuse = (why) => new z.errors.Error(`Refused a webhook that Triggers did not sign: ${why}`, "invalid_signature", 401);
  if (!secret) throw refuse("this Zap's subscription has no signing secret; turn the Zap off and on again");
  const { id, timestamp, signatures } = signatureHeaders(rawRequest);
  if (!id || !/^\d+$/.test(timestamp)) throw refuse("no webhook-id or webhook-timestamp header");
  const content = rawRequest?.content ?? "";
  const expected = Buffer.from(new Webhook(secret).sign(id, new Date(Number(timestamp) * 1000), content));
  const signed = signatures.split(" ").some((signature) => {
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!signed) throw refuse("no signature matches this subscription's secret");
  return JSON.parse(content);
}

module.exports = { verifiedEvent };
