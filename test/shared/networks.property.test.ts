// CIDR blocks and addresses under generated input: any text is read as a block or refused, and a block read is one Node can hold.
import test from "ava";
import fc from "fast-check";
import { inNetworks, networks, normalCidr, plainAddress } from "../../services/shared/networks.js";
import { address, addressText, cidrText } from "../helpers/addresses.js";
import { runs } from "../helpers/properties.js";

test("networks - any text is either read as a block, which reads again as itself, or refused", (t) => {
  fc.assert(
    fc.property(cidrText, (text) => {
      const cidr = normalCidr(text);
      return cidr === undefined || normalCidr(cidr) === cidr;
    }),
    runs,
  );
  t.pass();
});

test("networks - any block read builds a list holding the address it was written with", (t) => {
  fc.assert(
    fc.property(cidrText, (text) => {
      const cidr = normalCidr(text);
      if (cidr === undefined) return;
      const list = networks([cidr]);
      return inNetworks(list, text.trim().split("/")[0]!);
    }),
    runs,
  );
  t.pass();
});

test("networks - any text matched against blocks is in them or not, without throwing", (t) => {
  const blocks = fc.array(cidrText, { maxLength: 5 }).map((texts) => texts.map(normalCidr).filter((cidr) => cidr !== undefined));
  fc.assert(
    fc.property(blocks, addressText, (cidrs, text) => {
      const found = inNetworks(networks(cidrs), text);
      return typeof found === "boolean" && typeof plainAddress(text) === "string";
    }),
    runs,
  );
  t.pass();
});

// IPv4 as a number, to compare Node's matching against the definition of a block.
const v4Number = (text: string) => text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);

test("networks - an IPv4 address, plain or mapped into IPv6, is in a block exactly when its first prefix bits are the block's", (t) => {
  fc.assert(
    fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.boolean(), (block, at, prefix, mapped) => {
      const list = networks([normalCidr(`${block}/${prefix}`)!]);
      const bits = (text: string) => (prefix === 0 ? 0 : Math.floor(v4Number(text) / 2 ** (32 - prefix)));
      return inNetworks(list, mapped ? `::ffff:${at}` : at) === (bits(block) === bits(at));
    }),
    runs,
  );
  t.pass();
});

test("networks - every address is in the block of its own full length; only one with a zone may be refused", (t) => {
  fc.assert(
    fc.property(address, (at) => {
      const cidr = normalCidr(at);
      return cidr === undefined ? at.includes("%") : inNetworks(networks([cidr]), at);
    }),
    runs,
  );
  t.pass();
});
