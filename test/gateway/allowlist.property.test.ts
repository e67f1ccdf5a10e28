// A key's allowlist under generated input: any address is let through or refused as AddressNotAllowed, as its blocks say.
import test from "ava";
import fc from "fast-check";
import { checkAllowlist } from "../../services/gateway/allowlist.js";
import type { Caller } from "../../services/shared/authenticate.js";
import { AddressNotAllowed } from "../../services/shared/domain-errors.js";
import { inNetworks, networks, normalCidr } from "../../services/shared/networks.js";
import { address, addressText, cidrText } from "../helpers/addresses.js";
import { outcomeOf, runs } from "../helpers/properties.js";

// Allowlists as auth stores them: what normalCidr made of what the key's creator wrote.
const allowedCidrs = fc.array(cidrText, { maxLength: 5 }).map((texts) => texts.map(normalCidr).filter((cidr) => cidr !== undefined));
const callerWith = (cidrs: string[]): Caller => ({ orgId: "org", keyId: "key", scopes: [], allowedCidrs: cidrs, eventsPerMinute: 60 });
const notAllowed = (err: unknown): err is AddressNotAllowed => err instanceof AddressNotAllowed;

test("allowlist - any address is let through or refused as not allowed, as the key's blocks say", (t) => {
  fc.assert(
    fc.property(allowedCidrs, addressText, (cidrs, at) => {
      const outcome = outcomeOf(() => checkAllowlist(callerWith(cidrs), at), notAllowed);
      const allowed = cidrs.length === 0 || inNetworks(networks(cidrs), at);
      return outcome.refused === undefined ? allowed : !allowed && outcome.refused.address === at;
    }),
    runs,
  );
  t.pass();
});

test("allowlist - an address listed in a key's allowlist may use the key", (t) => {
  fc.assert(
    fc.property(allowedCidrs, address, (others, at) => {
      const own = normalCidr(at);
      fc.pre(own !== undefined);
      checkAllowlist(callerWith([...others, own]), at);
    }),
    runs,
  );
  t.pass();
});
