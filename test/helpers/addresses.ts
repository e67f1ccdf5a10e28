// Generated addresses and CIDR blocks for the property tests of allowlists, trusted proxies and X-Forwarded-For.
import fc from "fast-check";

const hexGroup = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).padStart(4, "0"));

// IPv6 written out in full, as some tools print it: the longest forms, where parsers' buffers end.
const fullV6 = fc.oneof(
  fc.array(hexGroup, { minLength: 8, maxLength: 8 }).map((groups) => groups.join(":")),
  fc.tuple(fc.array(hexGroup, { minLength: 6, maxLength: 6 }), fc.ipV4()).map(([groups, v4]) => `${groups.join(":")}:${v4}`),
);
const v6 = fc.oneof(fc.ipV6(), fullV6);

/** Addresses as sockets, proxies and people write them: IPv4, IPv6, IPv4 mapped into IPv6, with a zone or in capitals. */
export const address = fc.oneof(
  fc.ipV4(),
  v6,
  fc.ipV4().map((v4) => `::ffff:${v4}`),
  v6.map((at) => at.toUpperCase()),
  fc.tuple(v6, fc.stringMatching(/^[a-z0-9]{1,8}$/)).map(([at, zone]) => `${at}%${zone}`),
);

/** Text an allowlist or TRUSTED_PROXIES might hold: blocks written well or badly, and anything else. */
export const cidrText = fc.oneof(
  fc
    .tuple(address, fc.option(fc.oneof(fc.nat(140).map(String), fc.constantFrom("", "-1", "1e1", " 8", "08", "0008", "8/8", "x"))))
    .map(([at, prefix]) => (prefix === null ? at : `${at}/${prefix}`)),
  fc.tuple(fc.constantFrom(" ", "\t", "\n", ""), fc.ipV4(), fc.nat(40)).map(([space, v4, prefix]) => `${space}${v4}/${prefix}${space}`),
  fc.ipV4Extended(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:./%"), maxLength: 48 }),
);

/** Anything a peer or a hop of X-Forwarded-For might say it is. */
export const addressText = fc.oneof(address, cidrText, fc.string({ unit: "binary" }));
