// The auth service's RPCs: orgs (admin token only), an org's own keys (admin scope), and key checks for other services.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import type { KeyEnvironment } from "../shared/api-key.js";
import { type AskAuth, callerOf, keyFromHeaders } from "../shared/authenticate.js";
import { InvalidField } from "../shared/domain-errors.js";
import { scopes } from "../shared/scopes.js";
import { isAdminToken } from "./admin-token.js";
import type { AnnounceKeyChange } from "./key-announcements.js";
import { allowedCidrs, graceSeconds, keyName, keyScopes } from "./key-requests.js";
import { type NewKey, newKey } from "./keys.js";
import type { AuthStore, KeyToStore } from "./store.js";
import { keyView, orgView } from "./views.js";

const maxOrgNameLength = 200;

export interface AuthDeps {
  store: AuthStore;
  adminToken: string | undefined;
  /** The environment of the keys this deployment issues and accepts. */
  environment: KeyEnvironment;
  verify: AskAuth;
  announce: AnnounceKeyChange;
}

export function authRoutes({ store, adminToken, environment, verify, announce }: AuthDeps) {
  const issue = async (fields: Omit<KeyToStore, "id" | "environment" | "secretHash">): Promise<{ key: NewKey; toStore: KeyToStore }> => {
    const key = await newKey(environment);
    return { key, toStore: { ...fields, id: key.id, environment, secretHash: key.secretHash } };
  };

  return (router: ConnectRouter) =>
    router.service(AuthService, {
      async createOrg(req, ctx) {
        if (!isAdminToken(adminToken, keyFromHeaders(ctx.requestHeader))) {
          throw new ConnectError("creating orgs needs the admin token", Code.PermissionDenied);
        }
        const name = req.name.trim();
        if (!name) throw new InvalidField("name", "name is required");
        if (name.length > maxOrgNameLength) throw new InvalidField("name", `name is longer than ${maxOrgNameLength} characters`);
        const { key, toStore } = await issue({ name: "first key", scopes: [...scopes], allowedCidrs: [] });
        const created = await store.createOrg({ id: uuidv7(), name }, toStore);
        return { org: orgView(created.org), apiKey: keyView(created.key, key.key) };
      },

      async verifyKey(req) {
        const { caller, expiresAt } = await verify(req.key);
        return {
          ...caller,
          scopes: [...caller.scopes],
          allowedCidrs: [...caller.allowedCidrs],
          expiresAt: expiresAt === undefined ? undefined : timestampFromMs(expiresAt),
        };
      },

      async createKey(req, ctx) {
        const fields = { name: keyName(req.name), scopes: keyScopes(req.scopes), allowedCidrs: allowedCidrs(req.allowedCidrs) };
        const { key, toStore } = await issue(fields);
        return { apiKey: keyView(await store.createKey(callerOf(ctx).orgId, toStore), key.key) };
      },

      async listKeys(_req, ctx) {
        return { apiKeys: (await store.listKeys(callerOf(ctx).orgId)).map((row) => keyView(row)) };
      },

      async rotateKey(req, ctx) {
        const { orgId } = callerOf(ctx);
        const grace = graceSeconds(req.gracePeriodSeconds);
        // The successor takes the old key's name, scopes and allowlist; only its secret is new.
        const { key, toStore } = await issue({ name: "", scopes: [], allowedCidrs: [] });
        const { created, rotated } = await store.rotateKey(orgId, req.id, toStore, grace);
        await announce(orgId, req.id);
        return { apiKey: keyView(created, key.key), rotated: keyView(rotated) };
      },

      async revokeKey(req, ctx) {
        const { orgId } = callerOf(ctx);
        await store.revokeKey(orgId, req.id);
        await announce(orgId, req.id);
        return {};
      },
    });
}
