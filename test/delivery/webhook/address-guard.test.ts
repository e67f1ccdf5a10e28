// The SSRF guard at subscription time: addresses inside our network are refused unless allowed, names by what they resolve to.
import test from "ava";
import { AddressGuard } from "../../../services/delivery/webhook/address-guard.js";
import { InvalidField } from "../../../services/shared/domain-errors.js";

const guard = new AddressGuard([]);

test("address guard - loopback, private, shared, link-local and metadata addresses are refused, named or literal", async (t) => {
  for (const url of [
    "http://127.0.0.1/",
    "http://localhost:8080/",
    "http://10.0.0.8/",
    "http://172.16.4.1/",
    "http://192.168.1.1/",
    "http://100.100.100.200/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
  ]) {
    const err = await t.throwsAsync(guard.checkUrl(url), { instanceOf: InvalidField }, url);
    t.is(err?.field, "url");
  }
});

test("address guard - public addresses pass, and so does a name that does not resolve: delivery checks again after DNS", async (t) => {
  await t.notThrowsAsync(guard.checkUrl("https://93.184.215.14/hook"));
  await t.notThrowsAsync(guard.checkUrl("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook"));
  await t.notThrowsAsync(guard.checkUrl("https://hooks.example.invalid/"));
});

test("address guard - an allowed network is let through, and only that one", async (t) => {
  const loopback = new AddressGuard(["127.0.0.0/8"]);
  await t.notThrowsAsync(loopback.checkUrl("http://localhost:9/"));
  await t.throwsAsync(loopback.checkUrl("http://10.0.0.1/"), { instanceOf: InvalidField });
});
