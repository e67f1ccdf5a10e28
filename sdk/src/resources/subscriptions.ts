// subscriptions: webhook endpoints for the org's events, their signing secrets, and replaying what failed.
import type { Client } from "@connectrpc/connect";
import { DeliveryService, type ReplaySubscriptionResponse, type Subscription } from "../../../gen/triggers/v1/delivery_pb.js";
import type { Caller } from "../caller.js";
import type { RequestOptions } from "../options.js";
import { required } from "../required.js";
import { type Time, toTimestamp } from "../time.js";

export interface SubscriptionInit {
  /** Where events are POSTed: an http or https URL. */
  url: string;
  /** Exact types and `prefix.*` patterns; every type when empty or not given. */
  eventTypes?: string[];
  description?: string;
}

/** The fields to change; those not given stay as they are. */
export interface SubscriptionChanges {
  url?: string;
  eventTypes?: string[];
  description?: string;
  /** True makes the subscription active (resuming a paused one, with what piled up); false disables it. */
  enabled?: boolean;
}

// The proto names of SubscriptionChanges' fields, as an update_mask names them.
const maskPaths = { url: "url", eventTypes: "event_types", description: "description", enabled: "enabled" } as const;

export class Subscriptions {
  readonly #delivery: Client<typeof DeliveryService>;

  constructor(private readonly caller: Caller) {
    this.#delivery = caller.client(DeliveryService);
  }

  /** Subscribes a URL to the org's events. The answer's `secret` (`whsec_...`) signs its webhooks: it is shown only now. */
  async create(subscription: SubscriptionInit, options?: RequestOptions): Promise<Subscription> {
    // Not safe to repeat without an answer: a second call would make a second subscription.
    const response = await this.caller.call(
      (call) => this.#delivery.createSubscription(subscription, call),
      { safeToRepeat: false },
      options,
    );
    return required(response.subscription, "subscription");
  }

  async list(options?: RequestOptions): Promise<Subscription[]> {
    const response = await this.caller.call((call) => this.#delivery.listSubscriptions({}, call), { safeToRepeat: true }, options);
    return response.subscriptions;
  }

  async get(id: string, options?: RequestOptions): Promise<Subscription> {
    const response = await this.caller.call((call) => this.#delivery.getSubscription({ id }, call), { safeToRepeat: true }, options);
    return required(response.subscription, "subscription");
  }

  /** Changes the fields given, and only those. */
  async update(id: string, changes: SubscriptionChanges, options?: RequestOptions): Promise<Subscription> {
    const paths = (Object.keys(maskPaths) as (keyof SubscriptionChanges)[])
      .filter((name) => changes[name] !== undefined)
      .map((name) => maskPaths[name]);
    const request = { id, subscription: changes, updateMask: { paths } };
    const response = await this.caller.call((call) => this.#delivery.updateSubscription(request, call), { safeToRepeat: true }, options);
    return required(response.subscription, "subscription");
  }

  /** Stops deliveries to the subscription; its deliveries and attempts stay listed. */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.caller.call((call) => this.#delivery.deleteSubscription({ id }, call), { safeToRepeat: true, deletes: true }, options);
  }

  /**
   * A new signing secret, in the answer's `secret`. For 24 hours every webhook is signed with both the new and
   * the old one, so receivers can switch without missing any.
   */
  async rotateSecret(id: string, options?: RequestOptions): Promise<Subscription> {
    // Not safe to repeat without an answer: a second rotation would retire the secret the first one issued.
    const response = await this.caller.call(
      (call) => this.#delivery.rotateSubscriptionSecret({ id }, call),
      { safeToRepeat: false },
      options,
    );
    return required(response.subscription, "subscription");
  }

  /** Sends again, at once, every delivery of the subscription that failed for events received since a time. */
  replay(id: string, replay: { since: Time }, options?: RequestOptions): Promise<ReplaySubscriptionResponse> {
    const request = { id, since: toTimestamp(replay.since, "since") };
    return this.caller.call((call) => this.#delivery.replaySubscription(request, call), { safeToRepeat: false }, options);
  }
}
