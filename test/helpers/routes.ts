// A service's routes served in memory, behind the interceptors a real server runs, so that a rule or a route is checked in milliseconds.
import { randomInt } from "node:crypto";
import type { ConnectRouter, Interceptor, Transport } from "@connectrpc/connect";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { ErrorInfoSchema } from "../../gen/triggers/v1/event_pb.js";
import { base62, formatKey } from "../../services/shared/api-key.js";
import { askAuthService, KeyVerifier, requireApiKey } from "../../services/shared/authenticate.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { scopes } from "../../services/shared/scopes.js";
import { sharedInterceptors } from "../../services/shared/server.js";

/** The API keys the stand-in auth service knows, and the org each belongs to. */
export type KnownKeys = Record<string, string>;

/** Serves routes with the shared interceptors and then the service's own, as startServer does. */
export function serveInMemory(routes: (router: ConnectRouter) => void, interceptors: Interceptor[] = []): Transport {
  const shared = sharedInterceptors(createLogger("routes-test", "silent"), createMetrics("routes-test"));
  return createRouterTransport(routes, { router: { interceptors: [...shared, ...interceptors] } });
}

/** The API key check of every service but auth, against a stand-in auth service that knows the given keys, each with every scope. */
export function requireKnownKeys(keys: KnownKeys): Interceptor {
  const auth = createRouterTransport((router) =>
    router.service(AuthService, {
      verifyKey(req) {
        const orgId = keys[req.key];
        if (!orgId) throw new ConnectError("unknown API key", Code.Unauthenticated);
        return { orgId, keyId: `key-of-${orgId}`, scopes: [...scopes] };
      },
    }),
  );
  return requireApiKey(new KeyVerifier(askAuthService(createClient(AuthService, auth)), { ttlMs: 60_000 }));
}

/** A new API key in the shape auth issues, checksum included, so that it passes the format check before the lookup. */
export function newKey(): string {
  const random = (length: number) => Array.from({ length }, () => base62[randomInt(62)]).join("");
  return formatKey({ environment: "test", id: random(12), secret: random(32) });
}

/** Call options carrying an API key, as a client sends it. */
export const withKey = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

/** How a call failed, as a client sees it: its Connect code and the field its ErrorInfo names. */
export async function refusalOf(call: Promise<unknown>): Promise<{ code: Code; field?: string }> {
  const failure = await call.then(
    () => new Error("the call succeeded"),
    (error: unknown) => error,
  );
  const err = ConnectError.from(failure);
  return { code: err.code, field: err.findDetails(ErrorInfoSchema)[0]?.field };
}
