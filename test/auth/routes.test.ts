// The auth service's routes in memory: only the admin token creates orgs, names follow their rule, keys verify as issued.
import { Code, createClient } from "@connectrpc/connect";
import test from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { authRoutes } from "../../services/auth/routes.js";
import { refusalOf, serveInMemory, withKey } from "../helpers/routes.js";
import { MemoryAuthStore } from "./memory-store.js";

const adminToken = "ta_0123456789abcdef0123456789abcdef";

function auth() {
  const store = new MemoryAuthStore();
  return { store, client: createClient(AuthService, serveInMemory(authRoutes(store, adminToken))) };
}

test("auth routes - the admin token creates an org with a key that verifies as that org's, shown only as a hash", async (t) => {
  const { store, client } = auth();
  const created = await client.createOrg({ name: "  acme  " }, withKey(adminToken));
  t.is(created.org?.name, "acme");
  const verified = await client.verifyKey({ key: created.apiKey!.secret });
  t.deepEqual({ orgId: verified.orgId, keyId: verified.keyId }, { orgId: created.org!.id, keyId: created.apiKey!.id });
  t.false(store.keys[0]!.secret_hash.includes(created.apiKey!.secret.split("_")[2]!));
});

test("auth routes - without the admin token, or with an API key instead, no org is created", async (t) => {
  const { store, client } = auth();
  const created = await client.createOrg({ name: "acme" }, withKey(adminToken));
  t.is((await refusalOf(client.createOrg({ name: "x" }))).code, Code.PermissionDenied);
  t.is((await refusalOf(client.createOrg({ name: "x" }, withKey(created.apiKey!.secret)))).code, Code.PermissionDenied);
  t.is((await refusalOf(client.createOrg({ name: "x" }, withKey(`${adminToken}0`)))).code, Code.PermissionDenied);
  t.is(store.orgs.length, 1);
});

test("auth routes - an empty or overlong name is an invalid field naming it", async (t) => {
  const { store, client } = auth();
  for (const name of ["   ", "n".repeat(201)]) {
    t.deepEqual(await refusalOf(client.createOrg({ name }, withKey(adminToken))), { code: Code.InvalidArgument, field: "name" });
  }
  t.deepEqual(store.orgs, []);
});

test("auth routes - a key with a wrong secret, an unknown id or a bad shape is unauthenticated", async (t) => {
  const { client } = auth();
  const { secret } = (await client.createOrg({ name: "acme" }, withKey(adminToken))).apiKey!;
  const wrongSecret = `${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`;
  const unknownId = `tk_000000000000_${secret.split("_")[2]}`;
  for (const key of [wrongSecret, unknownId, "not-a-key", ""]) {
    t.is((await refusalOf(client.verifyKey({ key }))).code, Code.Unauthenticated, key);
  }
});
