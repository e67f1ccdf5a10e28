// Finds the org behind a request's API key, asking the auth service once per key and caching its verdict.
import { createHash } from "node:crypto";
import { type Client, Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { AuthService } from "../../gen/triggers/v1/auth_pb.js";

export interface Caller {
  orgId: string;
  keyId: string;
}

interface Verdict {
  expiresAt: number;
  caller: Promise<Caller>;
}

/**
 * How every API key looks: "tk_", a 12-character key id, "_", a 32-character secret. The prefix lets secret
 * scanners and people recognise a Triggers key; the id finds its row without a scan.
 */
export const apiKeyPattern = /^tk_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/;

// Long enough that a client hammering a wrong key costs the auth service (and argon2) little.
const rejectionTtlMs = 5_000;
const maxCachedKeys = 10_000;

/** Reads one request header by its lower-case name. */
export type HeaderLookup = (name: string) => string | null | undefined;

/** The key a request carries, from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function keyFromHeaders(headers: Headers | HeaderLookup): string | undefined {
  const get: HeaderLookup = typeof headers === "function" ? headers : (name) => headers.get(name);
  const authorization = get("authorization");
  if (authorization) return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  return get("x-api-key") ?? undefined;
}

export class KeyVerifier {
  readonly #verdicts = new Map<string, Verdict>();

  constructor(
    private readonly auth: Client<typeof AuthService>,
    private readonly ttlMs: number,
  ) {}

  /** Resolves to the key's org, or rejects with unauthenticated; concurrent calls for one key share one check. */
  verify(key: string): Promise<Caller> {
    // Junk is refused here, never cached: a flood of made-up keys cannot push real ones out of the cache.
    if (!apiKeyPattern.test(key)) return Promise.reject(new ConnectError("unknown API key", Code.Unauthenticated));
    // The cache holds digests, never keys: a heap dump should not leak credentials.
    const digest = createHash("sha256").update(key).digest("base64");
    const cached = this.#verdicts.get(digest);
    if (cached && cached.expiresAt > Date.now()) {
      this.#remember(digest, cached);
      return cached.caller;
    }
    const caller = this.#ask(key);
    this.#remember(digest, { expiresAt: Date.now() + this.ttlMs, caller });
    caller.catch((err: unknown) => {
      const rejected = err instanceof ConnectError && err.code === Code.Unauthenticated;
      // Only a verdict is worth keeping; an outage of the auth service is not one.
      if (rejected) this.#remember(digest, { expiresAt: Date.now() + rejectionTtlMs, caller });
      else this.#verdicts.delete(digest);
    });
    return caller;
  }

  async #ask(key: string): Promise<Caller> {
    try {
      const { orgId, keyId } = await this.auth.verifyKey({ key });
      return { orgId, keyId };
    } catch (err) {
      const cause = ConnectError.from(err);
      if (cause.code === Code.Unauthenticated) throw new ConnectError("unknown API key", Code.Unauthenticated);
      throw new ConnectError("cannot verify API keys right now, try again", Code.Unavailable);
    }
  }

  // Least recently used first out: Map keeps insertion order, and every use re-inserts.
  #remember(digest: string, verdict: Verdict) {
    this.#verdicts.delete(digest);
    if (this.#verdicts.size >= maxCachedKeys) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(digest, verdict);
  }
}

const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The answer to a call without a key, wherever the key is looked for. */
export function missingKey(): ConnectError {
  return new ConnectError("missing API key: send Authorization: Bearer <key> or X-API-Key: <key>", Code.Unauthenticated);
}

// Orchestrators ask for health and tools ask what the API is before anyone holds a key.
const keylessServices: ReadonlySet<string> = new Set([Health.typeName, ServerReflection.typeName, ServerReflectionAlpha.typeName]);

/** Requires a valid API key on every RPC but health's and reflection's, and makes its org known to handlers. */
export function requireApiKey(verifier: KeyVerifier): Interceptor {
  return (next) => async (req) => {
    if (keylessServices.has(req.service.typeName)) return next(req);
    const key = keyFromHeaders(req.header);
    if (!key) throw missingKey();
    req.contextValues.set(callerKey, await verifier.verify(key));
    return next(req);
  };
}

/** The authenticated caller of the RPC being handled. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new ConnectError("not authenticated", Code.Unauthenticated);
  return caller;
}
