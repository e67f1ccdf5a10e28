// The client: new Triggers({ apiKey, baseUrl }), with a property per kind of resource the API has.
import { Caller } from "./caller.js";
import { resolveOptions, type TriggersOptions } from "./options.js";
import { Audit } from "./resources/audit.js";
import { Deliveries } from "./resources/deliveries.js";
import { Events } from "./resources/events.js";
import { Inbox } from "./resources/inbox.js";
import { Keys } from "./resources/keys.js";
import { Orgs } from "./resources/orgs.js";
import { Subscriptions } from "./resources/subscriptions.js";

/**
 * A client of one Triggers gateway with one credential. It keeps no connection state of its own (fetch pools
 * connections), so make one per credential and share it.
 */
export class Triggers {
  readonly events: Events;
  readonly inbox: Inbox;
  readonly subscriptions: Subscriptions;
  readonly deliveries: Deliveries;
  readonly keys: Keys;
  readonly audit: Audit;
  /** Needs the operator's admin token: `new Triggers({ baseUrl, adminToken })`. */
  readonly orgs: Orgs;

  constructor(options: TriggersOptions) {
    const caller = new Caller(resolveOptions(options));
    this.events = new Events(caller);
    this.inbox = new Inbox(caller);
    this.subscriptions = new Subscriptions(caller);
    this.deliveries = new Deliveries(caller);
    this.keys = new Keys(caller);
    this.audit = new Audit(caller);
    this.orgs = new Orgs(caller);
  }
}
