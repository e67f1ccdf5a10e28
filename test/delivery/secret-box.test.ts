// Sealed signing secrets: readable with the key they were sealed under, for the subscription they belong to, unaltered.
import { randomBytes } from "node:crypto";
import test from "ava";
import { isSealed, SecretBox, UnreadableSecret } from "../../services/delivery/secret-box.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;

test("secret box - a sealed secret opens to itself, and sealing twice gives two different texts", (t) => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal("sub-1", secret);
  t.true(isSealed(sealed));
  t.false(sealed.includes(secret.slice("whsec_".length)));
  t.is(box.open("sub-1", sealed), secret);
  t.not(box.seal("sub-1", secret), sealed);
});

test("secret box - another key, another subscription, an altered text or a plain secret cannot be opened", (t) => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal("sub-1", secret);
  const altered = `${sealed.slice(0, -4)}${sealed.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
  const attempts: Array<[SecretBox, string, string]> = [
    [new SecretBox(randomBytes(32)), "sub-1", sealed],
    [box, "sub-2", sealed],
    [box, "sub-1", altered],
    [box, "sub-1", secret],
  ];
  for (const [opener, id, text] of attempts) {
    t.throws(() => opener.open(id, text), { instanceOf: UnreadableSecret, message: new RegExp(`subscription ${id} `) });
  }
});
