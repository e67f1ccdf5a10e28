// deliveries: what became of an event at each subscription, a subscription's deliveries, and sending one again.
import type { Client } from "@connectrpc/connect";
import { type Attempt, type Delivery, DeliveryService, type DeliveryState } from "../../../gen/triggers/v1/delivery_pb.js";
import type { Caller } from "../caller.js";
import type { RequestOptions } from "../options.js";
import { allPages } from "../pages.js";
import { required } from "../required.js";

export interface SubscriptionDeliveriesQuery {
  /** Deliveries per page, 1 to 100 (20 when not given). */
  limit?: number;
  /** Only deliveries in this state. */
  state?: DeliveryState;
}

export class Deliveries {
  readonly #delivery: Client<typeof DeliveryService>;

  constructor(private readonly caller: Caller) {
    this.#delivery = caller.client(DeliveryService);
  }

  /** The deliveries of one event, one per subscription that wanted it, each with its attempts, oldest first. */
  async listForEvent(eventId: string, options?: RequestOptions): Promise<Delivery[]> {
    const response = await this.caller.call(
      (call) => this.#delivery.listEventDeliveries({ eventId }, call),
      { safeToRepeat: true },
      options,
    );
    return response.deliveries;
  }

  /** Every delivery of one subscription, newest first, each with its attempts, page after page (admin scope). */
  listForSubscription(
    subscriptionId: string,
    query: SubscriptionDeliveriesQuery = {},
    options?: RequestOptions,
  ): AsyncGenerator<Delivery, void, undefined> {
    return allPages(async (cursor) => {
      const request = { subscriptionId, cursor, limit: query.limit, state: query.state };
      const page = await this.caller.call(
        (call) => this.#delivery.listSubscriptionDeliveries(request, call),
        { safeToRepeat: true },
        options,
      );
      return { items: page.deliveries, next: page.nextCursor || undefined };
    });
  }

  /** Sends a delivery again, at once, whatever became of it (admin scope). */
  async retry(id: string, options?: RequestOptions): Promise<Delivery> {
    // Not safe to repeat without an answer: each call sends the webhook once more.
    const response = await this.caller.call((call) => this.#delivery.retryDelivery({ id }, call), { safeToRepeat: false }, options);
    return required(response.delivery, "delivery");
  }

  /** @deprecated The attempts of one event, oldest first; listForEvent gives them grouped by delivery. */
  async listAttempts(eventId: string, options?: RequestOptions): Promise<Attempt[]> {
    const response = await this.caller.call((call) => this.#delivery.listAttempts({ eventId }, call), { safeToRepeat: true }, options);
    return response.attempts;
  }
}
