// Who may call what through the gateway: a valid key with the method's scope, from an allowed address, not guessing keys, within the plan.
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Caller, isKeyless, type KeyVerifier, missingKey } from "../shared/authenticate.js";
import type { Quota } from "../shared/quota.js";
import { checkScope } from "../shared/scopes.js";
import { checkAllowlist } from "./allowlist.js";
import type { FailedAuthLimiter } from "./failed-auth-limiter.js";
import type { RateLimiter } from "./rate-limiter.js";

/** The credentials of a call and where it came from. */
export interface Credentials {
  key: string | undefined;
  clientAddress: string;
}

export class Admission {
  constructor(
    private readonly verifier: KeyVerifier,
    private readonly failures: FailedAuthLimiter,
    private readonly rates: RateLimiter,
  ) {}

  /**
   * The caller, when the method takes a key: one auth knows, holding the method's scope, used from an address in
   * its allowlist. A key new to this gateway counts against its address's allowance of failures until it proves
   * good; an address that used it up is refused before its key is checked. A key already checked (or being
   * checked for another call) costs nothing and counts nothing: a known good key works from a refused address,
   * and a burst of calls with one new key counts once. The backends check key and scope again; only the gateway
   * knows the client's address.
   */
  async admit(method: DescMethod, { key, clientAddress }: Credentials): Promise<Caller | undefined> {
    if (isKeyless(method)) return undefined;
    if (!key) throw missingKey();
    const caller = await this.#verifyCounted(key, clientAddress);
    // The allowlist first: from outside it, a key's scopes are nobody's business.
    checkAllowlist(caller, clientAddress);
    checkScope(method, caller.scopes);
    return caller;
  }

  async #verifyCounted(key: string, clientAddress: string): Promise<Caller> {
    let counted = false;
    const count = () => {
      this.failures.attempt(clientAddress);
      counted = true;
    };
    try {
      const caller = await this.verifier.verify(key, count);
      if (counted) this.failures.succeeded(clientAddress);
      return caller;
    } catch (err) {
      // Only a refused key is a failed guess; an outage of auth is nobody's fault.
      if (counted && !(err instanceof ConnectError && err.code === Code.Unauthenticated)) this.failures.succeeded(clientAddress);
      throw err;
    }
  }

  /** Spends events of the caller's org's allowance; throws RateLimited when its plan allows no more now. */
  charge(caller: Caller, events: number): Promise<Quota> {
    return this.rates.take(caller.orgId, caller.eventsPerMinute, events);
  }
}
