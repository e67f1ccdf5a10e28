// Failed authentications per client address, so that keys cannot be guessed at speed: a bucket per address, in each replica.
import { RateLimited } from "../shared/domain-errors.js";

interface Failures {
  /** Failures still allowed, refilling at the limit's rate. */
  allowance: number;
  at: number;
}

// An attack from many addresses must not grow the table without end: the oldest entries go first.
const maxAddresses = 100_000;

export class FailedAuthLimiter {
  readonly #addresses = new Map<string, Failures>();
  readonly #perMs: number;

  constructor(private readonly perMinute: number) {
    this.#perMs = perMinute / 60_000;
  }

  /** Throws RateLimited while the address has used up its failures. */
  check(address: string): void {
    const allowance = this.#allowance(address);
    if (allowance >= 1) return;
    const retryAfter = Math.max(1, Math.ceil((1 - allowance) / this.#perMs / 1000));
    throw new RateLimited(`too many failed authentications from ${address}; retry in ${retryAfter} s`, {
      "retry-after": String(retryAfter),
    });
  }

  failed(address: string): void {
    const allowance = this.#allowance(address) - 1;
    this.#addresses.delete(address);
    if (this.#addresses.size >= maxAddresses) this.#addresses.delete(this.#addresses.keys().next().value!);
    this.#addresses.set(address, { allowance, at: Date.now() });
  }

  #allowance(address: string): number {
    const failures = this.#addresses.get(address);
    if (!failures) return this.perMinute;
    return Math.min(this.perMinute, failures.allowance + (Date.now() - failures.at) * this.#perMs);
  }
}
