// Delivery's store in memory, for fast tests of the pipeline: the same answers as Postgres's for the calls the
// dispatcher, scheduler and recorder make. test/delivery/store.test.ts holds the real store to the same rules.
import type {
  AttemptRecord,
  DeliveryRow,
  EventOutcomeRow,
  FailureCount,
  NewDelivery,
  RecordedAttempts,
  SubscriptionOutcomes,
  TakenDelivery,
  WebhookMessage,
} from "../../services/delivery/deliveries.js";
import type { DeliveryStore } from "../../services/delivery/delivery-store.js";
import type { SubscriptionState } from "../../services/delivery/subscriptions/store.js";
import type { OutboxMessage } from "../../services/shared/outbox.js";

export interface MemorySubscription {
  id: string;
  url: string;
  state: SubscriptionState;
  secrets: string[];
  consecutiveFailures: number;
}

type PipelineStore = Pick<DeliveryStore, "addDeliveries" | "takeDue" | "recordAttempts">;

export class MemoryDeliveryStore implements PipelineStore {
  readonly subscriptions = new Map<string, MemorySubscription>();
  readonly deliveries = new Map<string, DeliveryRow>();
  readonly messages = new Map<string, WebhookMessage>();
  readonly attempts: AttemptRecord[] = [];
  /** The messages recorded attempts wrote to the outbox. */
  readonly outbox: OutboxMessage[] = [];
  /** Every call the store answered, by name: how many statements the pipeline made. */
  readonly calls: string[] = [];
  /** When set, the next write fails with it, as a Postgres outage would. */
  failNext: Error | undefined;

  addSubscription(id: string, state: SubscriptionState = "active"): MemorySubscription {
    const sub = { id, url: `http://127.0.0.1/${id}`, state, secrets: ["whsec_AAAA"], consecutiveFailures: 0 };
    this.subscriptions.set(id, sub);
    return sub;
  }

  async addDeliveries(messages: WebhookMessage[], deliveries: NewDelivery[]): Promise<Set<string>> {
    this.#call("addDeliveries");
    for (const message of messages) if (!this.messages.has(message.eventId)) this.messages.set(message.eventId, message);
    const created = new Set<string>();
    for (const d of deliveries) {
      if (this.#find(d.eventId, d.subscriptionId)) continue;
      const dueAt = d.dueInMs === null ? new Date(8.64e15) : new Date(Date.now() + d.dueInMs);
      this.deliveries.set(d.id, this.#row(d, "pending", 0, dueAt));
      created.add(d.id);
    }
    return created;
  }

  async takeDue(limit: number, perSubscription: number, busy: string[], leaseMs: number): Promise<TakenDelivery[]> {
    this.#call("takeDue");
    const now = Date.now();
    const due = [...this.deliveries.values()]
      .filter((d) => d.state === "pending" && d.next_attempt_at!.getTime() <= now && !busy.includes(d.subscription_id))
      .filter((d) => this.subscriptions.get(d.subscription_id)?.state === "active")
      .sort((a, b) => a.next_attempt_at!.getTime() - b.next_attempt_at!.getTime());
    const taken: TakenDelivery[] = [];
    const perSub = new Map<string, number>();
    for (const d of due) {
      const count = perSub.get(d.subscription_id) ?? 0;
      if (taken.length >= limit || count >= perSubscription) continue;
      perSub.set(d.subscription_id, count + 1);
      d.next_attempt_at = new Date(now + leaseMs);
      taken.push(this.#taken(d));
    }
    return taken;
  }

  async recordAttempts(
    records: AttemptRecord[],
    bySubscription: SubscriptionOutcomes[],
    messagesOf: (recorded: RecordedAttempts) => OutboxMessage[],
  ): Promise<RecordedAttempts> {
    this.#call("recordAttempts");
    const settled = records.flatMap((record) => {
      const row = record.delivery.stored ? this.#update(record) : this.#insert(record);
      if (row) this.attempts.push(record);
      return row ? [{ ...row }] : [];
    });
    const recorded = { settled, outcomes: this.#outcomes(settled), failuresInARow: this.#count(bySubscription) };
    this.outbox.push(...messagesOf(recorded));
    return recorded;
  }

  #update({ delivery, verdict }: AttemptRecord): DeliveryRow | undefined {
    const row = this.deliveries.get(delivery.id);
    if (row?.state !== "pending" || row.attempt_count !== delivery.attemptCount) return undefined;
    Object.assign(row, { state: verdict.state, attempt_count: delivery.attemptCount + 1, next_attempt_at: this.#next(row, verdict) });
    return row;
  }

  #insert({ delivery, verdict }: AttemptRecord): DeliveryRow | undefined {
    if (this.#find(delivery.eventId, delivery.subscriptionId)) return undefined;
    const { id, orgId, eventId, eventType, subscriptionId } = delivery;
    const row = this.#row({ id, orgId, eventId, eventType, subscriptionId }, verdict.state, 1, null);
    row.next_attempt_at = this.#next(row, verdict);
    this.deliveries.set(id, row);
    if (!this.messages.has(eventId)) {
      this.messages.set(eventId, { eventId, orgId, body: delivery.body, requestId: delivery.requestId });
    }
    return row;
  }

  #next(row: DeliveryRow, verdict: AttemptRecord["verdict"]): Date | null {
    if (verdict.state !== "pending") return null;
    const active = this.subscriptions.get(row.subscription_id)?.state === "active";
    return active ? new Date(Date.now() + verdict.retryInMs) : new Date(8.64e15);
  }

  #outcomes(settled: DeliveryRow[]): EventOutcomeRow[] {
    const ended = new Set(settled.filter((d) => d.state !== "pending").map((d) => d.event_id));
    return [...ended].flatMap((eventId) => {
      const all = [...this.deliveries.values()].filter((d) => d.event_id === eventId);
      if (all.some((d) => d.state === "pending")) return [];
      const status = all.some((d) => d.state === "failed") ? "failed" : "delivered";
      return [{ event_id: eventId, org_id: all[0]!.org_id, status, settled_at: new Date() }];
    });
  }

  #count(bySubscription: SubscriptionOutcomes[]): FailureCount[] {
    return bySubscription.flatMap(({ id, failuresSinceSuccess, succeeded }) => {
      const sub = this.subscriptions.get(id);
      if (!sub || (failuresSinceSuccess === 0 && sub.consecutiveFailures === 0)) return [];
      sub.consecutiveFailures = succeeded ? failuresSinceSuccess : sub.consecutiveFailures + failuresSinceSuccess;
      return [{ id, consecutive_failures: sub.consecutiveFailures }];
    });
  }

  #find(eventId: string, subscriptionId: string): DeliveryRow | undefined {
    return [...this.deliveries.values()].find((d) => d.event_id === eventId && d.subscription_id === subscriptionId);
  }

  #row(d: Omit<NewDelivery, "dueInMs">, state: DeliveryRow["state"], attempts: number, dueAt: Date | null): DeliveryRow {
    const { id, orgId, eventId, eventType, subscriptionId } = d;
    const at = new Date();
    return {
      id,
      org_id: orgId,
      event_id: eventId,
      event_type: eventType,
      subscription_id: subscriptionId,
      state,
      attempt_count: attempts,
      next_attempt_at: dueAt,
      created_at: at,
    };
  }

  #taken(d: DeliveryRow): TakenDelivery {
    const sub = this.subscriptions.get(d.subscription_id)!;
    const message = this.messages.get(d.event_id)!;
    return {
      id: d.id,
      orgId: d.org_id,
      eventId: d.event_id,
      eventType: d.event_type,
      subscriptionId: d.subscription_id,
      stored: true,
      attemptCount: d.attempt_count,
      url: sub.url,
      secrets: sub.secrets,
      body: message.body,
      requestId: message.requestId,
      createdAt: d.created_at,
    };
  }

  #call(name: string): void {
    this.calls.push(name);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }
}
