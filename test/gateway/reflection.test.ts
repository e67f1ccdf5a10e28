// buf curl, with no proto files, learns and calls the API from a running gateway and a running service, over gRPC and Connect.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";
import { startGatewayStack } from "./gateway-stack.js";

const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));
const protocols = {
  grpc: ["--protocol", "grpc", "--http2-prior-knowledge"],
  connect: ["--protocol", "connect"],
};

async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(buf, ["curl", ...args]);
  return stdout;
}

test("reflection - buf curl lists the gateway's public API and calls it without a schema", async (t) => {
  const stack = await startGatewayStack();
  t.teardown(stack.stop);
  for (const [name, protocol] of Object.entries(protocols)) {
    const methods = await bufCurl([...protocol, "--list-methods", stack.gateway.url]);
    t.true(methods.includes("triggers.v1.IngestService/PublishEvent"), `${name}: ${methods}`);
    t.true(methods.includes("triggers.v1.InboxService/ListInbox"), name);
    const created = await bufCurl([
      ...protocol,
      "-H",
      `authorization: Bearer ${stack.adminToken}`,
      "-d",
      `{"name": "org-over-${name}"}`,
      `${stack.gateway.url}/triggers.v1.AuthService/CreateOrg`,
    ]);
    t.is(JSON.parse(created).org.name, `org-over-${name}`, name);
  }
});

test("reflection - buf curl reads a service's API from the service itself, and its health from its admin port, without a key", async (t) => {
  const stack = await startGatewayStack();
  t.teardown(stack.stop);
  for (const [name, protocol] of Object.entries(protocols)) {
    const methods = await bufCurl([...protocol, "--list-methods", stack.auth.url]);
    t.true(methods.includes("triggers.v1.AuthService/VerifyKey"), `${name}: ${methods}`);
    const health = await bufCurl([
      ...protocol,
      "-d",
      '{"service": "triggers.v1.AuthService"}',
      `${stack.auth.adminUrl}/grpc.health.v1.Health/Check`,
    ]);
    t.is(JSON.parse(health).status, "SERVING", name);
  }
});
