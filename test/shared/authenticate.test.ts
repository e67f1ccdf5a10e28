import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import test from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { KeyVerifier } from "../../services/shared/authenticate.js";

const goodKey = `tk_${"A".repeat(12)}_${"a".repeat(32)}`;
const badKey = `tk_${"B".repeat(12)}_${"b".repeat(32)}`;

// An in-memory auth service counting the keys it is asked about: the verifier's cache is what is under test.
function countingAuth(down = false) {
  const asked: string[] = [];
  const transport = createRouterTransport((router) =>
    router.service(AuthService, {
      verifyKey(req) {
        asked.push(req.key);
        if (down) throw new ConnectError("down", Code.Unavailable);
        if (req.key !== goodKey) throw new ConnectError("unknown API key", Code.Unauthenticated);
        return { orgId: "org-1", keyId: "key-1" };
      },
    }),
  );
  return { asked, client: createClient(AuthService, transport) };
}

test("key verifier - concurrent and later checks of one key ask the auth service once", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.client, 60_000);
  const callers = await Promise.all([verifier.verify(goodKey), verifier.verify(goodKey), verifier.verify(goodKey)]);
  await verifier.verify(goodKey);
  t.deepEqual(callers[0], { orgId: "org-1", keyId: "key-1" });
  t.is(auth.asked.length, 1);
});

test("key verifier - a rejected key is remembered too", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.client, 60_000);
  for (let i = 0; i < 3; i++) {
    const err = await t.throwsAsync(verifier.verify(badKey), { instanceOf: ConnectError });
    t.is(err?.code, Code.Unauthenticated);
  }
  t.is(auth.asked.length, 1);
});

test("key verifier - strings not shaped like a key are refused without asking or caching", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.client, 60_000);
  for (const junk of ["", "tk_short", "Bearer x", `${goodKey}x`]) {
    const err = await t.throwsAsync(verifier.verify(junk), { instanceOf: ConnectError });
    t.is(err?.code, Code.Unauthenticated);
  }
  t.deepEqual(auth.asked, []);
});

test("key verifier - an auth outage is unavailable and not remembered", async (t) => {
  const auth = countingAuth(true);
  const verifier = new KeyVerifier(auth.client, 60_000);
  for (let i = 0; i < 2; i++) {
    const err = await t.throwsAsync(verifier.verify(goodKey), { instanceOf: ConnectError });
    t.is(err?.code, Code.Unavailable);
  }
  t.is(auth.asked.length, 2);
});
