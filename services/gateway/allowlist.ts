// A key's IP allowlist, enforced where the client's address is known: at the gateway.
import type { BlockList } from "node:net";
import type { Caller } from "../shared/authenticate.js";
import { AddressNotAllowed } from "../shared/domain-errors.js";
import { inNetworks, networks } from "../shared/networks.js";

// A cached verdict hands out the same caller each time, so each allowlist is built once per verdict.
const built = new WeakMap<Caller, BlockList>();

/** Throws AddressNotAllowed when the key has an allowlist and the address is not in it. */
export function checkAllowlist(caller: Caller, address: string): void {
  if (caller.allowedCidrs.length === 0) return;
  let list = built.get(caller);
  if (!list) {
    list = networks(caller.allowedCidrs);
    built.set(caller, list);
  }
  if (!inNetworks(list, address)) throw new AddressNotAllowed(address);
}
