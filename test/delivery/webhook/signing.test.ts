// Signing secrets and signatures, checked by the standardwebhooks library: an implementation that is not ours.
import test from "ava";
import { Webhook } from "standardwebhooks";
import { newSigningSecret, signatureHeader } from "../../../services/delivery/webhook/signing.js";

const webhookId = "01a231b9-dbc5-756e-b556-54ea6f901e2f";
const body = '{"id":"01a231b9-dbc5-756e-b556-54ea6f901e2f","type":"order.created","data":{"total":12}}';

function headers(secrets: string[], timestamp = Math.floor(Date.now() / 1000)) {
  return {
    "webhook-id": webhookId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatureHeader(secrets, webhookId, timestamp, body),
  };
}

test("signing - a secret is whsec_ and 32 random bytes in base64, a new one each time", (t) => {
  const secret = newSigningSecret();
  t.regex(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  t.is(Buffer.from(secret.slice("whsec_".length), "base64").length, 32);
  t.not(newSigningSecret(), secret);
});

test("signing - standardwebhooks verifies our signature, and refuses it for another body, secret or a stale timestamp", (t) => {
  const secret = newSigningSecret();
  t.deepEqual(new Webhook(secret).verify(body, headers([secret])), JSON.parse(body));
  t.throws(() => new Webhook(secret).verify(body.replace("12", "13"), headers([secret])));
  t.throws(() => new Webhook(newSigningSecret()).verify(body, headers([secret])));
  t.throws(() => new Webhook(secret).verify(body, headers([secret], Math.floor(Date.now() / 1000) - 3600)));
});

test("signing - during a rotation both secrets sign, and either verifies", (t) => {
  const [next, previous] = [newSigningSecret(), newSigningSecret()];
  const signed = headers([next, previous]);
  t.is(signed["webhook-signature"].split(" ").length, 2);
  t.notThrows(() => new Webhook(next).verify(body, signed));
  t.notThrows(() => new Webhook(previous).verify(body, signed));
});
