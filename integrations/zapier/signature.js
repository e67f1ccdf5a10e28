// Checks that a webhook Zapier received was sent by Triggers: its Standard Webhooks signature, with the subscription's secret.
const { Webhook, WebhookVerificationError } = require("standardwebhooks");

/**
 * Zapier hands the app the request as it came, its header names in Camel-Case and, but for Content-Type and
 * Content-Length, prefixed with "Http-": webhook-id arrives as Http-Webhook-Id.
 */
function signatureHeaders(rawRequest) {
  const headers = Object.fromEntries(Object.entries(rawRequest?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const header = (name) => headers[`http-${name}`] ?? headers[name] ?? "";
  return {
    "webhook-id": header("webhook-id"),
    "webhook-timestamp": header("webhook-timestamp"),
    "webhook-signature": header("webhook-signature"),
  };
}

/**
 * The event the request carries, parsed from the very bytes that were signed. Throws when the signature does not
 * hold (another body, another secret, or a timestamp more than five minutes off: a replay).
 */
function verifiedEvent(z, secret, rawRequest) {
  try {
    return new Webhook(secret).verify(rawRequest?.content ?? "", signatureHeaders(rawRequest));
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    throw new z.errors.Error(`Refused a webhook that Triggers did not sign: ${err.message}`, "invalid_signature", 401);
  }
}

module.exports = { verifiedEvent };
