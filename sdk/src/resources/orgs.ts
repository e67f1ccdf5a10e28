// orgs: creating an org and changing its plan, with the operator's admin token (new Triggers({ adminToken })).
import type { Client } from "@connectrpc/connect";
import { AuthService, type CreateOrgResponse, type Org } from "../../../gen/triggers/v1/auth_pb.js";
import type { Caller } from "../caller.js";
import type { RequestOptions } from "../options.js";
import { required } from "../required.js";

export interface OrgPlan {
  /** `free` (100 events a minute; the default), `pro` (1,000), `business` (10,000) or `custom`. */
  plan?: string;
  /** The limit of a `custom` plan, 1 to 10,000,000 events a minute. */
  eventsPerMinute?: number;
}

export class Orgs {
  readonly #auth: Client<typeof AuthService>;

  constructor(private readonly caller: Caller) {
    this.#auth = caller.client(AuthService);
  }

  /** A new org and its first API key (every scope), whose `secret` is shown only now. */
  create(org: { name: string } & OrgPlan, options?: RequestOptions): Promise<CreateOrgResponse> {
    // Not safe to repeat without an answer: a second call would make a second org.
    return this.caller.call((call) => this.#auth.createOrg(org, call), { safeToRepeat: false }, options);
  }

  /** Changes an org's plan, and so how many events it may publish a minute. */
  async update(id: string, plan: OrgPlan & { plan: string }, options?: RequestOptions): Promise<Org> {
    const response = await this.caller.call((call) => this.#auth.updateOrg({ id, ...plan }, call), { safeToRepeat: true }, options);
    return required(response.org, "org");
  }
}
