// Keeps webhooks from reaching inside our own network (SSRF): the addresses a webhook may not resolve to.
import dns, { type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { InvalidField } from "../../shared/domain-errors.js";
import { inNetworks, networks } from "../../shared/networks.js";

// Loopback, private, shared, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254), multicast and reserved.
const privateNetworks = networks([
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/3",
  "::/128",
  "::1/128",
  "64:ff9b::/96",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
]);

/** A refused address, as the attempt's error says it. */
export class ForbiddenAddress extends Error {
  readonly code = "EFORBIDDEN";
}

export class AddressGuard {
  readonly #allowed: ReturnType<typeof networks>;

  /** allowed: CIDR blocks inside our networks that webhooks may reach anyway (a developer's loopback). */
  constructor(allowed: readonly string[]) {
    this.#allowed = networks(allowed);
  }

  allows(address: string): boolean {
    return !inNetworks(privateNetworks, address) || inNetworks(this.#allowed, address);
  }

  /**
   * At subscription time: a host that resolves must resolve only to addresses we may reach. One that does not
   * resolve (yet) is let through: the check after DNS at each delivery still stands guard.
   */
  async checkUrl(url: string): Promise<void> {
    const host = hostOf(url);
    const addresses = isIP(host) ? [host] : await resolve(host);
    if (!addresses.every((address) => this.allows(address))) {
      throw new InvalidField("url", "url must not point to a loopback, private, link-local or metadata address");
    }
  }

  /**
   * At delivery time, for node:http's lookup option: the addresses the connection will use are checked after DNS,
   * so a name that changed its answer since the subscription was made is caught too.
   */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find(({ address }) => !this.allows(address));
      if (refused) return callback(new ForbiddenAddress(`${hostname} resolves to ${refused.address}`), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };

  /** Whether a URL whose host is an address literal may be reached: node:http looks nothing up for those. */
  allowsLiteralHost(url: URL): boolean {
    const host = hostOf(url.href);
    return !isIP(host) || this.allows(host);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
}

async function resolve(host: string): Promise<string[]> {
  try {
    return (await dns.promises.lookup(host, { all: true })).map(({ address }) => address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTFOUND") return [];
    throw err;
  }
}
