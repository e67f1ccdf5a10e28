// The client's address under generated input: any peer and any X-Forwarded-For give an address we were told, never a throw.
import { isIP } from "node:net";
import test from "ava";
import fc from "fast-check";
import { clientAddress } from "../../services/gateway/client-address.js";
import { inNetworks, networks, normalCidr, plainAddress } from "../../services/shared/networks.js";
import { address, addressText, cidrText } from "../helpers/addresses.js";
import { runs } from "../helpers/properties.js";

const trusted = fc.array(cidrText, { maxLength: 4 }).map((texts) => networks(texts.map(normalCidr).filter((cidr) => cidr !== undefined)));

// Hops as proxies write them: bare, with a port, bracketed, spaced, or not an address at all.
const hop = fc.oneof(
  address,
  fc.tuple(fc.ipV4(), fc.nat(65_535)).map(([v4, port]) => `${v4}:${port}`),
  fc.tuple(fc.ipV6(), fc.option(fc.nat(65_535))).map(([v6, port]) => (port === null ? `[${v6}]` : `[${v6}]:${port}`)),
  fc.tuple(address, fc.constantFrom(" ", "  ", "\t")).map(([at, space]) => `${space}${at}${space}`),
  addressText,
);
const forwardedFor = fc.option(
  fc.array(hop, { maxLength: 6 }).map((hops) => hops.join(",")),
  { nil: undefined },
);
const peer = fc.option(fc.oneof(address, addressText), { nil: undefined });

test("client address - any peer and X-Forwarded-For give the peer or an address one of the hops names", (t) => {
  fc.assert(
    fc.property(peer, forwardedFor, trusted, (from, header, proxies) => {
      const client = clientAddress(from, header, proxies);
      return client === plainAddress(from ?? "") || (isIP(client) !== 0 && header !== undefined && header.includes(client.split("%")[0]!));
    }),
    runs,
  );
  t.pass();
});

test("client address - an untrusted peer is the client, whatever X-Forwarded-For says", (t) => {
  fc.assert(
    fc.property(peer, forwardedFor, trusted, (from, header, proxies) => {
      fc.pre(!inNetworks(proxies, from ?? ""));
      return clientAddress(from, header, proxies) === plainAddress(from ?? "");
    }),
    runs,
  );
  t.pass();
});

// Proxies we trust, each by its own address, among other blocks; the peer is one of them.
const proxied = fc
  .tuple(fc.array(address, { minLength: 1, maxLength: 3 }), fc.array(cidrText, { maxLength: 3 }))
  .map(([proxies, others]) => {
    const cidrs = [...proxies, ...others].map(normalCidr).filter((cidr) => cidr !== undefined);
    return { proxies: proxies.filter((at) => normalCidr(at) !== undefined), list: networks(cidrs) };
  })
  .filter(({ proxies }) => proxies.length > 0);

test("client address - behind trusted proxies the nearest hop that is not one is the client, whatever was written left of it", (t) => {
  fc.assert(
    fc.property(proxied, address, fc.array(hop, { maxLength: 4 }), fc.nat(), fc.nat(), ({ proxies, list }, client, forged, at, hops) => {
      fc.pre(!inNetworks(list, client));
      const peerAt = proxies[at % proxies.length]!;
      const between = proxies.slice(0, hops % (proxies.length + 1));
      const header = [...forged, client, ...between].join(", ");
      return clientAddress(peerAt, header, list) === plainAddress(client);
    }),
    runs,
  );
  t.pass();
});
