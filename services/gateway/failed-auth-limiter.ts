// Failed authentications per client address, so that keys cannot be guessed at speed: a bucket per address, in each replica.
import { isIP } from "node:net";
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

  /**
   * Takes one failure from the address's allowance before its key is checked, so that requests sent all at once
   * cannot all be checked before the first failure counts; throws RateLimited when none is left. A key that
   * proves good gives it back (succeeded).
   */
  attempt(address: string): void {
    const group = groupOf(address);
    const allowance = this.#allowance(group);
    if (allowance < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - allowance) / this.#perMs / 1000));
      throw new RateLimited(`too many failed authentications from ${address}; retry in ${retryAfterSeconds} s`, retryAfterSeconds);
    }
    this.#set(group, allowance - 1);
  }

  succeeded(address: string): void {
    const group = groupOf(address);
    this.#set(group, Math.min(this.perMinute, this.#allowance(group) + 1));
  }

  #set(group: string, allowance: number): void {
    this.#addresses.delete(group);
    if (this.#addresses.size >= maxAddresses) this.#addresses.delete(this.#addresses.keys().next().value!);
    this.#addresses.set(group, { allowance, at: Date.now() });
  }

  #allowance(group: string): number {
    const failures = this.#addresses.get(group);
    if (!failures) return this.perMinute;
    return Math.min(this.perMinute, failures.allowance + (Date.now() - failures.at) * this.#perMs);
  }
}

/** IPv6 clients are counted by their /64: one host is handed a whole /64, and could otherwise try from each address in it. */
function groupOf(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0");
  const groups = address.includes("::") ? [...headGroups, ...zeros, ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}
