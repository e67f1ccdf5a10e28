// The client's address: the socket's peer, unless a trusted proxy stands between, whose X-Forwarded-For is read from the right.
import test from "ava";
import { clientAddress } from "../../services/gateway/client-address.js";
import { networks } from "../../services/shared/networks.js";

const proxies = networks(["10.0.0.0/8", "::1/128"]);

test("client address - without trusted proxies the peer is the client, whatever X-Forwarded-For says", (t) => {
  t.is(clientAddress("203.0.113.9", "198.51.100.1", networks([])), "203.0.113.9");
  t.is(clientAddress("::ffff:203.0.113.9", undefined, proxies), "203.0.113.9");
});

test("client address - behind trusted proxies the nearest untrusted hop is the client, and what it wrote is ignored", (t) => {
  t.is(clientAddress("10.0.0.2", "203.0.113.9", proxies), "203.0.113.9");
  t.is(clientAddress("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.7", proxies), "203.0.113.9");
  t.is(clientAddress("::1", "10.0.0.3, 10.0.0.4", proxies), "10.0.0.3");
  t.is(clientAddress("10.0.0.2", undefined, proxies), "10.0.0.2");
});

test("client address - a hop that is not an address leaves the last proxy as the client", (t) => {
  t.is(clientAddress("10.0.0.2", "203.0.113.9, <script>", proxies), "10.0.0.2");
  t.is(clientAddress("10.0.0.2", "", proxies), "10.0.0.2");
});

test("client address - a hop written with its port, as some proxies do, is read as its address", (t) => {
  t.is(clientAddress("10.0.0.2", "203.0.113.9:51234", proxies), "203.0.113.9");
  t.is(clientAddress("10.0.0.2", "[2001:db8::7]:443", proxies), "2001:db8::7");
  t.is(clientAddress("10.0.0.2", "[2001:db8::8]", proxies), "2001:db8::8");
});
