// Keeps the leases of the stored deliveries this worker holds short, renewing them all in one statement while it works.
import type { Logger } from "../../shared/logger.js";
import type { TakenDelivery } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";

/**
 * How long a held delivery stays out of other workers' reach without a renewal. A lease long enough to cover a queue
 * made a killed worker's deliveries wait that long (45 s behind four rounds of 10 s attempts); a short one renewed
 * while the worker lives, as SQS's visibility timeouts and JetStream's in-progress acks are, makes them due again
 * this soon, whatever the queue's depth.
 */
export const deliveryLeaseMs = 15_000;

// A third of the lease: a renewal that fails, or is late on a loaded machine, still has two more chances.
const renewEveryMs = 5_000;

/** The stored deliveries a worker holds, queued in its lanes or in flight, and their renewal. */
export class HeldDeliveries {
  // A delivery is held at the attempt count it was taken with: once its attempt is recorded, the lease is not ours.
  readonly #held = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly store: Pick<DeliveryStore, "renewLeases">,
    private readonly logger: Logger,
  ) {
    this.#timer = setInterval(() => void this.#renew(), renewEveryMs).unref();
  }

  hold(delivery: TakenDelivery): void {
    this.#held.set(delivery.id, delivery.attemptCount);
  }

  /** Recorded, or given up: a delivery whose record failed falls due again once its lease ends. */
  release(delivery: TakenDelivery): void {
    this.#held.delete(delivery.id);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) return;
    await this.store.renewLeases(this.#held, deliveryLeaseMs).catch((err: unknown) => {
      this.logger.warn({ err, held: this.#held.size }, "renewing the leases of held deliveries failed; they end on their own");
    });
  }
}
