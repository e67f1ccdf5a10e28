// Who is calling: the socket's peer, or, behind proxies we trust, the address they say they forwarded for.
import { type BlockList, isIP } from "node:net";
import { inNetworks, plainAddress } from "../shared/networks.js";

/**
 * X-Forwarded-For is read from the right, the hop nearest to us, skipping proxies we trust: the first address
 * that is not one of them is the client. Entries left of it were written by the client and prove nothing.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trustedProxies: BlockList): string {
  let address = plainAddress(peer ?? "");
  if (!forwardedFor || !inNetworks(trustedProxies, address)) return address;
  const hops = forwardedFor.split(",").map((hop) => plainAddress(withoutPort(hop.trim())));
  for (let i = hops.length - 1; i >= 0; i--) {
    // What is not an address is not a client: the proxy that passed it on is the last we know of.
    if (!isIP(hops[i]!)) break;
    address = hops[i]!;
    if (!inNetworks(trustedProxies, address)) break;
  }
  return address;
}

/** Some proxies write "a.b.c.d:port" or "[v6]:port"; the address is what matters. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop)?.[1];
  if (bracketed) return bracketed;
  return /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop)?.[1] ?? hop;
}

/** The client address of a request from its connection's peer and its X-Forwarded-For. */
export type AddressOf = (peer: string | undefined, forwardedFor: string | undefined) => string;
