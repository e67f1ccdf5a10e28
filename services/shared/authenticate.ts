// Finds the org behind a request's API key, asking the auth service once per key and caching its verdict until it changes.
import { createHash } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { parseKey } from "./api-key.js";
import { checkScope } from "./scopes.js";

export interface Caller {
  orgId: string;
  keyId: string;
  scopes: readonly string[];
  /** CIDR blocks the key may be used from; empty means any. */
  allowedCidrs: readonly string[];
  /** How many events the key's org may publish a minute, by its plan. */
  eventsPerMinute: number;
}

/** What auth says of a key: its caller, and when it stops working on its own (ms since the epoch), if it does. */
export interface Verified {
  caller: Caller;
  expiresAt?: number;
}

/** Asks whoever knows (the auth service, or auth's own store) about a key; rejects with unauthenticated for a bad one. */
export type AskAuth = (key: string) => Promise<Verified>;

interface Verdict {
  expiresAt: number;
  caller: Promise<Caller>;
  /** The caller, once known: what a change of keys is matched against. */
  known?: Caller;
}

// Long enough that a client hammering a wrong key costs the auth service (and argon2) little.
const rejectionTtlMs = 5_000;
// While changes to keys may go unheard (no NATS), a verdict is trusted this long: a revocation still lands within it.
const unheardTtlMs = 1_000;
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

/** Asks the auth service over Connect; an outage of it is unavailable, never a verdict. */
export function askAuthService(auth: Client<typeof AuthService>): AskAuth {
  return async (key) => {
    try {
      const { orgId, keyId, scopes, allowedCidrs, eventsPerMinute, expiresAt } = await auth.verifyKey({ key });
      return { caller: { orgId, keyId, scopes, allowedCidrs, eventsPerMinute }, expiresAt: expiresAt && timestampMs(expiresAt) };
    } catch (err) {
      if (ConnectError.from(err).code === Code.Unauthenticated) throw unknownKey();
      throw new ConnectError("cannot verify API keys right now, try again", Code.Unavailable);
    }
  };
}

export interface KeyVerifierOptions {
  ttlMs: number;
  /** Told of every key accepted, for its last use. */
  onUse?: (keyId: string) => void;
}

export class KeyVerifier {
  readonly #verdicts = new Map<string, Verdict>();
  /** Digests of keys auth refused, and until when (ms) that is trusted. */
  readonly #rejections = new Map<string, number>();
  #changesHeard = true;

  constructor(
    private readonly ask: AskAuth,
    private readonly options: KeyVerifierOptions,
  ) {}

  /**
   * Resolves to the key's caller, or rejects with unauthenticated; concurrent calls for one key share one check.
   * beforeAsking runs when the key is new here (neither cached nor being checked), before auth is asked or a
   * malformed key refused; whatever it throws, the call rejects with.
   */
  verify(key: string, beforeAsking?: () => void): Promise<Caller> {
    let verdict: Promise<Caller>;
    try {
      verdict = this.#verdictOf(key, beforeAsking);
    } catch (err) {
      return Promise.reject(err);
    }
    return verdict.then((caller) => {
      this.options.onUse?.(caller.keyId);
      return caller;
    });
  }

  /** Drops what is cached of an org's key, or of all its keys: it was revoked, rotated or changed. */
  forget(orgId: string, keyId?: string): void {
    for (const [digest, verdict] of this.#verdicts) {
      // A check still under way may be of that very key: its answer might predate the change.
      const stale = !verdict.known || (verdict.known.orgId === orgId && (keyId === undefined || verdict.known.keyId === keyId));
      if (stale) this.#verdicts.delete(digest);
    }
  }

  /**
   * Whether changes to keys reach this process (its NATS connection is up). While they may not, nothing cached is
   * trusted for more than a second; when they come back, whatever was missed is forgotten.
   */
  setChangesHeard(heard: boolean): void {
    this.#changesHeard = heard;
    this.#verdicts.clear();
  }

  #verdictOf(key: string, beforeAsking: (() => void) | undefined): Promise<Caller> {
    const digest = digestOf(key);
    const cached = this.#verdicts.get(digest);
    if (cached && cached.expiresAt > Date.now()) {
      this.#remember(digest, cached);
      return cached.caller;
    }
    if ((this.#rejections.get(digest) ?? 0) > Date.now()) return Promise.reject(unknownKey());
    // Junk and mistyped keys are refused here, never cached; only well-formed keys reach the cache above.
    if (!parseKey(key)) {
      beforeAsking?.();
      return Promise.reject(unknownKey());
    }
    beforeAsking?.();
    const verified = this.ask(key);
    const verdict: Verdict = { expiresAt: Date.now() + this.#ttlMs(), caller: verified.then(({ caller }) => caller) };
    this.#remember(digest, verdict);
    verified.then(
      ({ caller, expiresAt }) => {
        verdict.known = caller;
        if (expiresAt !== undefined) verdict.expiresAt = Math.min(verdict.expiresAt, expiresAt);
      },
      (err: unknown) => {
        // Only a verdict is worth keeping; an outage of the auth service is not one.
        if (this.#verdicts.get(digest) === verdict) this.#verdicts.delete(digest);
        if (err instanceof ConnectError && err.code === Code.Unauthenticated) this.#reject(digest);
      },
    );
    return verdict.caller;
  }

  #ttlMs(): number {
    return this.#changesHeard ? this.options.ttlMs : Math.min(this.options.ttlMs, unheardTtlMs);
  }

  // Rejections are kept apart from verdicts: anyone can make keys with a valid checksum, and a flood of them must
  // not push the real ones out. The oldest go first.
  #reject(digest: string) {
    this.#rejections.delete(digest);
    if (this.#rejections.size >= maxCachedKeys) this.#rejections.delete(this.#rejections.keys().next().value!);
    this.#rejections.set(digest, Date.now() + Math.min(rejectionTtlMs, this.#ttlMs()));
  }

  // Least recently used first out: Map keeps insertion order, and every use re-inserts.
  #remember(digest: string, verdict: Verdict) {
    this.#verdicts.delete(digest);
    if (this.#verdicts.size >= maxCachedKeys) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(digest, verdict);
  }
}

// The cache holds digests, never keys: a heap dump should not leak credentials.
function digestOf(key: string): string {
  return createHash("sha256").update(key).digest("base64");
}

function unknownKey(): ConnectError {
  return new ConnectError("unknown API key", Code.Unauthenticated);
}

const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The answer to a call without a key, wherever the key is looked for. */
export function missingKey(): ConnectError {
  return new ConnectError("missing API key: send Authorization: Bearer <key> or X-API-Key: <key>", Code.Unauthenticated);
}

// Orchestrators ask for health and tools ask what the API is before anyone holds a key. Creating an org and
// changing its plan take the admin token, and verifying a key is what our services call before they know of any.
const keylessServices: ReadonlySet<string> = new Set([Health.typeName, ServerReflection.typeName, ServerReflectionAlpha.typeName]);
const keylessMethods: ReadonlySet<DescMethod> = new Set([
  AuthService.method.createOrg,
  AuthService.method.updateOrg,
  AuthService.method.verifyKey,
]);

/** Whether a method is called without an API key: every other one requires a key holding its declared scope. */
export function isKeyless(method: DescMethod): boolean {
  return keylessServices.has(method.parent.typeName) || keylessMethods.has(method);
}

/** The caller behind a key, if the key is valid and holds the scope the method requires. */
export async function authorize(verifier: KeyVerifier, method: DescMethod, key: string | undefined): Promise<Caller> {
  if (!key) throw missingKey();
  const caller = await verifier.verify(key);
  checkScope(method, caller.scopes);
  return caller;
}

/** Requires a valid API key with the method's scope on every RPC that is not keyless, and makes its caller known to handlers. */
export function requireApiKey(verifier: KeyVerifier): Interceptor {
  return (next) => async (req) => {
    if (isKeyless(req.method)) return next(req);
    req.contextValues.set(callerKey, await authorize(verifier, req.method, keyFromHeaders(req.header)));
    return next(req);
  };
}

/** The authenticated caller of the RPC being handled. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new ConnectError("not authenticated", Code.Unauthenticated);
  return caller;
}
