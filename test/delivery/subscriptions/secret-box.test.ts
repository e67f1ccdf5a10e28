// Sealed signing secrets: readable with the key they were sealed under, for the subscription they belong to, unaltered;
// plain ones, from before sealing, read as they are; sealed under the first key of a keyring, opened by any.
import { randomBytes } from "node:crypto";
import test from "ava";
import { isSealed, keyIdOf, SecretBox, sealedFormats, UnreadableSecret } from "../../../services/delivery/subscriptions/secret-box.js";

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

test("secret box - a lone key is key 0 and seals as before key ids (v1), which a keyring listing key 0 opens", (t) => {
  const key0 = randomBytes(32);
  const sealed = new SecretBox(key0).seal("sub-1", secret);
  t.regex(sealed, /^v1:[A-Za-z0-9+/]+=*$/);
  t.is(keyIdOf(sealed), "0");
  const ring = new SecretBox([
    { id: "2026-12", key: randomBytes(32) },
    { id: "0", key: key0 },
  ]);
  t.is(ring.open("sub-1", sealed), secret);
  t.false(ring.sealsNow(sealed));
  t.true(new SecretBox([{ id: "0", key: key0 }]).sealsNow(sealed));
});

test("secret box - the first key of a keyring seals, naming itself (v2), and every key of it opens", (t) => {
  const [a, b] = [
    { id: "a", key: randomBytes(32) },
    { id: "b.2026-12", key: randomBytes(32) },
  ];
  const underA = new SecretBox([a]).seal("sub-1", secret);
  t.regex(underA, /^v2:a:[A-Za-z0-9+/]+=*$/);
  const ring = new SecretBox([b, a]);
  const underB = ring.seal("sub-1", secret);
  t.regex(underB, /^v2:b\.2026-12:/);
  t.deepEqual([keyIdOf(underA), keyIdOf(underB), keyIdOf(secret)], ["a", "b.2026-12", undefined]);
  t.true(isSealed(underB));
  t.is(ring.open("sub-1", underA), secret);
  t.is(ring.open("sub-1", underB), secret);
  t.true(ring.sealsNow(underB));
  t.false(ring.sealsNow(underA));
  t.false(ring.sealsNow(secret));
});

test("secret box - a secret sealed under a key not held cannot be opened, and the error names the key", (t) => {
  const underA = new SecretBox([{ id: "a", key: randomBytes(32) }]).seal("sub-1", secret);
  const onlyB = new SecretBox([{ id: "b", key: randomBytes(32) }]);
  t.throws(() => onlyB.open("sub-1", underA), {
    instanceOf: UnreadableSecret,
    message: /subscription sub-1 .*under key a, which the keyring does not hold/,
  });
  t.throws(() => onlyB.open("sub-1", "v2:nocolon"), { instanceOf: UnreadableSecret, message: /format/ });
});

test("secret box - the key id is bound to the sealed text: relabelled as another key's, it does not open even under the same bytes", (t) => {
  const key = randomBytes(32);
  // Two ids for one key can only be built by hand (the configuration refuses them): the tag alone tells the labels apart.
  const box = new SecretBox([
    { id: "a", key },
    { id: "b", key },
    { id: "0", key },
  ]);
  const underA = box.seal("sub-1", secret);
  const body = underA.slice("v2:a:".length);
  for (const relabelled of [`v2:b:${body}`, `${sealedFormats.v1}${body}`]) {
    t.throws(() => box.open("sub-1", relabelled), { instanceOf: UnreadableSecret }, relabelled.slice(0, 5));
  }
  t.is(box.open("sub-1", underA), secret);
});

test("secret box - a keyring needs a key, and ids of its own", (t) => {
  t.throws(() => new SecretBox([]));
  t.throws(
    () =>
      new SecretBox([
        { id: "a", key: randomBytes(32) },
        { id: "a", key: randomBytes(32) },
      ]),
  );
});

// The sealed text with its 16-byte tag cut to 4 bytes, as a forger would try.
function truncatedTag(sealed: string): string {
  const bytes = Buffer.from(sealed.slice(sealedFormats.v1.length), "base64");
  return sealedFormats.v1 + Buffer.concat([bytes.subarray(0, 12 + 4), bytes.subarray(12 + 16)]).toString("base64");
}
