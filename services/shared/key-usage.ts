// Tells auth, every few seconds rather than per request, which keys this process accepted and when it last did.
import type { NatsConnection } from "nats";
import { keysUsedSubject } from "./streams.js";

export class KeyUsage {
  readonly #lastUse = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    reportEveryMs: number,
  ) {
    this.#timer = setInterval(() => this.#report(), reportEveryMs);
    this.#timer.unref();
  }

  record = (keyId: string): void => {
    this.#lastUse.set(keyId, Date.now());
  };

  /** Reports what is left; the connection must still be open. */
  close(): void {
    clearInterval(this.#timer);
    this.#report();
  }

  // At most once: a report lost with a NATS outage only leaves a "last used" a little older than it is.
  #report(): void {
    if (this.#lastUse.size === 0 || this.nc.isClosed()) return;
    this.nc.publish(keysUsedSubject, JSON.stringify(Object.fromEntries(this.#lastUse)));
    this.#lastUse.clear();
  }
}
