// Who may call what through the gateway: a valid key with the method's scope, from an allowed address, not guessing keys, within the plan.
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { authorize, type Caller, isKeyless, type KeyVerifier } from "../shared/authenticate.js";
import { checkAllowlist } from "./allowlist.js";
import type { FailedAuthLimiter } from "./failed-auth-limiter.js";
import type { Quota, RateLimiter } from "./rate-limiter.js";

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
   * its allowlist. An address that failed too often is refused before its key is checked, unless the key is one
   * already known good. The backends check key and scope again; only the gateway knows the client's address.
   */
  async admit(method: DescMethod, { key, clientAddress }: Credentials): Promise<Caller | undefined> {
    if (isKeyless(method)) return undefined;
    if (key && !this.verifier.knows(key)) this.failures.check(clientAddress);
    let caller: Caller;
    try {
      caller = await authorize(this.verifier, method, key);
    } catch (err) {
      if (key && err instanceof ConnectError && err.code === Code.Unauthenticated) this.failures.failed(clientAddress);
      throw err;
    }
    checkAllowlist(caller, clientAddress);
    return caller;
  }

  /** Spends events of the caller's org's allowance; throws RateLimited when its plan allows no more now. */
  charge(caller: Caller, events: number): Promise<Quota> {
    return this.rates.take(caller.orgId, caller.eventsPerMinute, events);
  }
}
