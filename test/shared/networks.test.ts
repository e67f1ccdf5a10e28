// CIDR blocks as allowlists read them, and client addresses as sockets report them.
import test from "ava";
import { inNetworks, networks, normalCidr } from "../../services/shared/networks.js";

test("networks - addresses and blocks are read as CIDR, and anything else is refused", (t) => {
  t.is(normalCidr("203.0.113.7"), "203.0.113.7/32");
  t.is(normalCidr(" 10.0.0.0/8 "), "10.0.0.0/8");
  t.is(normalCidr("2001:DB8::/32"), "2001:db8::/32");
  t.is(normalCidr("::1"), "::1/128");
  for (const bad of [
    "",
    "10.0.0.0/33",
    "10.0.0.0/",
    "10.0.0/8",
    "host.example",
    "10.0.0.0/8/8",
    "::1/129",
    "10.0.0.0/-1",
    "10.0.0.0/1e1",
  ]) {
    t.is(normalCidr(bad), undefined, bad);
  }
});

test("networks - an address matches the blocks it falls in, IPv4 mapped into IPv6 included", (t) => {
  const list = networks(["10.0.0.0/8", "2001:db8::/32"].map((cidr) => normalCidr(cidr)!));
  t.true(inNetworks(list, "10.20.30.40"));
  t.true(inNetworks(list, "::ffff:10.1.1.1"));
  t.true(inNetworks(list, "2001:db8::5"));
  t.false(inNetworks(list, "11.0.0.1"));
  t.false(inNetworks(list, "2001:db9::1"));
  t.false(inNetworks(list, "not an address"));
});

test("networks - an address Node could not hold in a block is refused, not stored to fail each request later", (t) => {
  // An IPv4-mapped address written out in full, with a zone: isIP takes it, BlockList threw ERR_INVALID_ADDRESS.
  const long = "0000:0000:0000:0000:0000:ffff:192.168.100.100%eth0";
  t.is(normalCidr(long), undefined);
  t.is(normalCidr(`${long}/96`), undefined);
  t.is(normalCidr("fe80::1%eth0/64"), "fe80::1%eth0/64");
  t.notThrows(() => networks([normalCidr("fe80::1%eth0/64")!]));
});
