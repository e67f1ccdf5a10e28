// The auth service's RPCs: creating orgs (admin only) and telling other services whose key a request carries.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { keyFromHeaders } from "../shared/authenticate.js";
import { InvalidField } from "../shared/domain-errors.js";
import { isAdminToken } from "./admin-token.js";
import { newKey, parseKey, secretMatches } from "./keys.js";
import type { AuthStore } from "./store.js";

const maxNameLength = 200;

export function authRoutes(store: AuthStore, adminToken: string | undefined) {
  return (router: ConnectRouter) =>
    router.service(AuthService, {
      async createOrg(req, ctx) {
        if (!isAdminToken(adminToken, keyFromHeaders(ctx.requestHeader))) {
          throw new ConnectError("creating orgs needs the admin token", Code.PermissionDenied);
        }
        const name = req.name.trim();
        if (!name) throw new InvalidField("name", "name is required");
        if (name.length > maxNameLength) throw new InvalidField("name", `name is longer than ${maxNameLength} characters`);
        const key = await newKey();
        const created = await store.createOrg({ id: uuidv7(), name }, key);
        return {
          org: { id: created.org.id, name: created.org.name, createdAt: timestampFromDate(created.org.created_at) },
          apiKey: {
            id: key.id,
            orgId: created.org.id,
            secret: key.key,
            createdAt: timestampFromDate(created.key.created_at),
          },
        };
      },

      async verifyKey(req) {
        const parsed = parseKey(req.key);
        const row = parsed && (await store.activeKey(parsed.id));
        if (!parsed || !row || !(await secretMatches(row.secret_hash, parsed.secret))) {
          throw new ConnectError("unknown API key", Code.Unauthenticated);
        }
        return { orgId: row.org_id, keyId: row.id };
      },
    });
}
