// The auth service's RPCs: orgs (admin token only), an org's own keys (admin scope), and key checks for other services.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import type { KeyEnvironment } from "../shared/api-key.js";
import { auditPage, maxOrgNameLength } from "../shared/api-limits.js";
import type { RecordAudit } from "../shared/audit.js";
import { type AskAuth, callerOf, keyFromHeaders } from "../shared/authenticate.js";
import { decodeCursor, encodeCursor } from "../shared/cursor.js";
import { InvalidField, NotFound } from "../shared/domain-errors.js";
import { requireUuid } from "../shared/ids.js";
import type { OutboxRelay } from "../shared/outbox.js";
import { pageSize } from "../shared/page-size.js";
import { scopes } from "../shared/scopes.js";
import { isAdminToken } from "./admin-token.js";
import { allowedCidrs, graceSeconds, keyName, keyScopes } from "./key-requests.js";
import { type NewKey, newKey } from "./keys.js";
import { planOf } from "./plans.js";
import type { AuthStore, KeyRow, KeyToStore } from "./store.js";
import { auditEntryView, keyView, orgView } from "./views.js";

export interface AuthDeps {
  store: AuthStore;
  adminToken: string | undefined;
  /** The environment of the keys this deployment issues and accepts. */
  environment: KeyEnvironment;
  verify: AskAuth;
  /**
   * Sends the announcements a change of keys wrote to the outbox. Awaited before answering, so that when the client
   * hears the answer every connected process is dropping its copy; should NATS not confirm, the change stands and
   * the outbox sends them later (the caches' own expiry bounds the wait meanwhile).
   */
  outbox: Pick<OutboxRelay, "relayed">;
  audit: RecordAudit;
}

export function authRoutes({ store, adminToken, environment, verify, outbox, audit }: AuthDeps) {
  const issue = async (fields: Omit<KeyToStore, "id" | "environment" | "secretHash">): Promise<{ key: NewKey; toStore: KeyToStore }> => {
    const key = await newKey(environment);
    return { key, toStore: { ...fields, id: key.id, environment, secretHash: key.secretHash } };
  };

  const requireAdminToken = (ctx: HandlerContext, what: string) => {
    if (!isAdminToken(adminToken, keyFromHeaders(ctx.requestHeader))) {
      throw new ConnectError(`${what} needs the admin token`, Code.PermissionDenied);
    }
  };

  return (router: ConnectRouter) =>
    router.service(AuthService, {
      async createOrg(req, ctx) {
        requireAdminToken(ctx, "creating orgs");
        const name = req.name.trim();
        if (!name) throw new InvalidField("name", "name is required");
        if (name.length > maxOrgNameLength) throw new InvalidField("name", `name is longer than ${maxOrgNameLength} characters`);
        const { plan, eventsPerMinute } = planOf(req.plan, req.eventsPerMinute);
        const { key, toStore } = await issue({ name: "first key", scopes: [...scopes], allowedCidrs: [] });
        const org = { id: uuidv7(), name, plan, events_per_minute: eventsPerMinute };
        const created = await store.createOrg(org, toStore, () =>
          audit(ctx, { orgId: org.id, keyId: "", action: "org.created", resource: "org", resourceId: org.id, details: { name, plan } }),
        );
        return { org: orgView(created.org), apiKey: keyView(created.key, key.key) };
      },

      async updateOrg(req, ctx) {
        requireAdminToken(ctx, "changing an org's plan");
        const plan = planOf(req.plan, req.eventsPerMinute);
        const id = requireUuid(req.id, "id");
        const org = await store.updatePlan(id, plan, () =>
          audit(ctx, { orgId: id, keyId: "", action: "org.plan_changed", resource: "org", resourceId: id, details: { ...plan } }),
        );
        if (!org) throw new NotFound("org");
        await outbox.relayed();
        return { org: orgView(org) };
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

      async whoAmI(_req, ctx) {
        const { orgId, keyId } = callerOf(ctx);
        // Revoked since it was verified: the key is nobody now.
        const found = await store.orgKey(orgId, keyId);
        if (!found) throw new ConnectError("the API key was revoked", Code.Unauthenticated);
        return { org: orgView(found.org), apiKey: keyView(found.key) };
      },

      async createKey(req, ctx) {
        const fields = { name: keyName(req.name), scopes: keyScopes(req.scopes), allowedCidrs: allowedCidrs(req.allowedCidrs) };
        const { key, toStore } = await issue(fields);
        const { orgId, keyId } = callerOf(ctx);
        const row = await store.createKey(orgId, toStore, (created) =>
          audit(ctx, { orgId, keyId, action: "key.created", resource: "key", resourceId: created.id, details: keyDetails(created) }),
        );
        return { apiKey: keyView(row, key.key) };
      },

      async listKeys(_req, ctx) {
        return { apiKeys: (await store.listKeys(callerOf(ctx).orgId)).map((row) => keyView(row)) };
      },

      async rotateKey(req, ctx) {
        const { orgId, keyId } = callerOf(ctx);
        const grace = graceSeconds(req.gracePeriodSeconds);
        // The successor takes the old key's name, scopes and allowlist from the store; only its secret is new.
        const key = await newKey(environment);
        const successor = { id: key.id, environment, secretHash: key.secretHash };
        const { created, rotated } = await store.rotateKey(orgId, req.id, successor, grace, (made) =>
          audit(ctx, {
            orgId,
            keyId,
            action: "key.rotated",
            resource: "key",
            resourceId: req.id,
            details: { successor_id: made.id, grace_period_seconds: grace },
          }),
        );
        await outbox.relayed();
        return { apiKey: keyView(created, key.key), rotated: keyView(rotated) };
      },

      async revokeKey(req, ctx) {
        const { orgId, keyId } = callerOf(ctx);
        await store.revokeKey(orgId, req.id, (revoked) =>
          audit(ctx, { orgId, keyId, action: "key.revoked", resource: "key", resourceId: revoked.id, details: keyDetails(revoked) }),
        );
        await outbox.relayed();
        return {};
      },

      async listAuditEntries(req, ctx) {
        const limit = pageSize(req.limit, auditPage);
        const rows = await store.listAuditEntries(callerOf(ctx).orgId, { limit, before: decodeCursor(req.cursor), action: req.action });
        const page = rows.slice(0, limit);
        return {
          entries: page.map(auditEntryView),
          nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.id) : "",
        };
      },
    });
}

function keyDetails(row: KeyRow) {
  return { name: row.name, scopes: row.scopes, allowed_cidrs: row.allowed_cidrs };
}
