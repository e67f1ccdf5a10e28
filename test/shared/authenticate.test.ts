// The key verifier's cache, in front of an in-memory auth service: one question per key, forgetting on change, scopes.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import test from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { askAuthService, authorize, KeyVerifier } from "../../services/shared/authenticate.js";
import { MissingScope } from "../../services/shared/domain-errors.js";
import { newKey } from "../helpers/routes.js";

const goodKey = newKey();
const readerKey = newKey();
const badKey = newKey();

interface Options {
  down?: boolean;
  /** When the good key stops working, in ms since the epoch. */
  expiresAt?: number;
}

// An in-memory auth service counting the keys it is asked about: the verifier's cache is what is under test.
function countingAuth(options: Options = {}) {
  const asked: string[] = [];
  const transport = createRouterTransport((router) =>
    router.service(AuthService, {
      verifyKey(req) {
        asked.push(req.key);
        if (options.down) throw new ConnectError("down", Code.Unavailable);
        if (req.key === readerKey) return { orgId: "org-1", keyId: "key-2", scopes: ["events:read"] };
        if (req.key !== goodKey) throw new ConnectError("unknown API key", Code.Unauthenticated);
        const expiresAt = options.expiresAt === undefined ? undefined : timestampFromMs(options.expiresAt);
        return { orgId: "org-1", keyId: "key-1", scopes: ["events:write", "events:read"], expiresAt };
      },
    }),
  );
  return { asked, ask: askAuthService(createClient(AuthService, transport)) };
}

test("key verifier - concurrent and later checks of one key ask the auth service once", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  const callers = await Promise.all([verifier.verify(goodKey), verifier.verify(goodKey), verifier.verify(goodKey)]);
  await verifier.verify(goodKey);
  t.like(callers[0], { orgId: "org-1", keyId: "key-1", scopes: ["events:write", "events:read"] });
  t.is(auth.asked.length, 1);
});

test("key verifier - a rejected key is remembered too", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    const err = await t.throwsAsync(verifier.verify(badKey), { instanceOf: ConnectError });
    t.is(err?.code, Code.Unauthenticated);
  }
  t.is(auth.asked.length, 1);
});

test("key verifier - strings not shaped like a key, or with a wrong checksum, are refused without asking or caching", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  const mistyped = `${goodKey.slice(0, 20)}${goodKey[20] === "a" ? "b" : "a"}${goodKey.slice(21)}`;
  for (const junk of ["", "tk_short", "Bearer x", `${goodKey}x`, mistyped]) {
    const err = await t.throwsAsync(verifier.verify(junk), { instanceOf: ConnectError });
    t.is(err?.code, Code.Unauthenticated);
  }
  t.deepEqual(auth.asked, []);
});

test("key verifier - an auth outage is unavailable and not remembered", async (t) => {
  const auth = countingAuth({ down: true });
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  for (let i = 0; i < 2; i++) {
    const err = await t.throwsAsync(verifier.verify(goodKey), { instanceOf: ConnectError });
    t.is(err?.code, Code.Unavailable);
  }
  t.is(auth.asked.length, 2);
});

test("key verifier - a forgotten key is asked about again, and other orgs' keys are kept", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  await verifier.verify(goodKey);
  verifier.forget("org-2", "key-1");
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 1);
  verifier.forget("org-1", "key-1");
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 2);
  verifier.forget("org-1");
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 3);
});

test("key verifier - a key rotated away is asked about again once its grace period ends", async (t) => {
  // Room enough that a loaded machine still makes the second call within the grace period.
  const auth = countingAuth({ expiresAt: Date.now() + 1_000 });
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  await verifier.verify(goodKey);
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 2);
});

test("key verifier - while changes go unheard nothing cached is kept, and a verdict lasts a second at most", async (t) => {
  const auth = countingAuth();
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000 });
  await verifier.verify(goodKey);
  verifier.setChangesHeard(false);
  await verifier.verify(goodKey);
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 2);
  await new Promise((resolve) => setTimeout(resolve, 1_050));
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 3);
  verifier.setChangesHeard(true);
  await verifier.verify(goodKey);
  t.is(auth.asked.length, 4);
});

test("key verifier - every accepted use is reported with its key id", async (t) => {
  const auth = countingAuth();
  const used: string[] = [];
  const verifier = new KeyVerifier(auth.ask, { ttlMs: 60_000, onUse: (keyId) => used.push(keyId) });
  await verifier.verify(goodKey);
  await verifier.verify(goodKey);
  await t.throwsAsync(verifier.verify(badKey));
  t.deepEqual(used, ["key-1", "key-1"]);
});

test("authorize - a key without the method's scope is refused with the scope named, one with it is let through", async (t) => {
  const verifier = new KeyVerifier(countingAuth().ask, { ttlMs: 60_000 });
  const refused = await t.throwsAsync(authorize(verifier, IngestService.method.publishEvent, readerKey), { instanceOf: MissingScope });
  t.is(refused?.scope, "events:write");
  t.regex(refused!.message, /"events:write"/);
  t.like(await authorize(verifier, InboxService.method.listInbox, readerKey), { keyId: "key-2" });
  const missing = await t.throwsAsync(authorize(verifier, InboxService.method.listInbox, undefined), { instanceOf: ConnectError });
  t.is(missing?.code, Code.Unauthenticated);
});
