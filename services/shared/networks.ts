// Client addresses and CIDR blocks: the rule a key's allowlist and the trusted proxies follow, and matching against them.
import { BlockList, isIP, SocketAddress } from "node:net";

const maxPrefix = { ipv4: 32, ipv6: 128 } as const;

/** A CIDR block ("10.0.0.0/8") or a single address, written as canonically as Node reads it; undefined when invalid. */
export function normalCidr(text: string): string | undefined {
  const [address = "", prefixText, ...rest] = text.trim().split("/");
  const family = isIP(address) === 4 ? "ipv4" : isIP(address) === 6 ? "ipv6" : undefined;
  if (!family || rest.length > 0) return undefined;
  const prefix = prefixText === undefined ? maxPrefix[family] : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? "0") || prefix > maxPrefix[family] || !canHold(address, family)) return undefined;
  return `${address.toLowerCase()}/${prefix}`;
}

/**
 * isIP takes some addresses that Node's BlockList cannot hold: an IPv6 address written in 40 characters or more and
 * followed by a zone ("0000:0000:0000:0000:0000:ffff:192.168.100.100%eth0"). Such a block would be stored in a key's
 * allowlist, and then fail every request made with the key; in TRUSTED_PROXIES it would stop the gateway at start
 * with an error that names no variable.
 */
function canHold(address: string, family: "ipv4" | "ipv6"): boolean {
  try {
    new SocketAddress({ address, family });
    return true;
  } catch {
    return false;
  }
}

/** A set of CIDR blocks to test addresses against; the blocks must be normalCidr's. */
export function networks(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split("/") as [string, string];
    list.addSubnet(address, Number(prefix), isIP(address) === 4 ? "ipv4" : "ipv6");
  }
  return list;
}

/** An address as people and allowlists write it: sockets on both families report IPv4 clients as "::ffff:a.b.c.d". */
export function plainAddress(address: string): string {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

/** Whether an address (IPv4, IPv6, or IPv4 mapped into IPv6) falls in one of the blocks. */
export function inNetworks(list: BlockList, address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain) === 4 ? "ipv4" : isIP(plain) === 6 ? "ipv6" : undefined;
  return family !== undefined && list.check(plain, family);
}
