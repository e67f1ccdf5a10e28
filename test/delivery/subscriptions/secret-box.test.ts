// Sealed signing secrets: readable with the key they were sealed under, for the subscription they belong to, unaltered;
// plain ones, from before sealing, read as they are.
import { randomBytes } from "node:crypto";
import test from "ava";
import { isSealed, SecretBox, sealedPrefix, UnreadableSecret } from "../../../services/delivery/subscriptions/secret-box.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;

test("secret box - a sealed secret opens to itself, and sealing twice gives two different texts", (t) => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal("sub-1", secret);
  t.true(isSealed(sealed));
  t.false(sealed.includes(secret.slice("whsec_".length)));
  t.is(box.open("sub-1", sealed), secret);
  t.not(box.seal("sub-1", secret), sealed);
});

test("secret box - another key, another subscription, an altered text, a shortened tag or a short text cannot be opened", (t) => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal("sub-1", secret);
  const altered = `${sealed.slice(0, -4)}${sealed.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
  const attempts: Array<[SecretBox, string, string]> = [
    [new SecretBox(randomBytes(32)), "sub-1", sealed],
    [box, "sub-2", sealed],
    [box, "sub-1", altered],
    [box, "sub-1", truncatedTag(sealed)],
    [box, "sub-1", "v1:c2hvcnQ="],
  ];
  for (const [opener, id, text] of attempts) {
    t.throws(() => opener.open(id, text), { instanceOf: UnreadableSecret, message: new RegExp(`subscription ${id} `) });
  }
});

test("secret box - a plain secret, as a release before sealing stored it, is read as it is", (t) => {
  t.is(new SecretBox(randomBytes(32)).open("sub-1", secret), secret);
});

// The sealed text with its 16-byte tag cut to 4 bytes, as a forger would try.
function truncatedTag(sealed: string): string {
  const bytes = Buffer.from(sealed.slice(sealedPrefix.length), "base64");
  return sealedPrefix + Buffer.concat([bytes.subarray(0, 12 + 4), bytes.subarray(12 + 16)]).toString("base64");
}
