// buf curl, with no proto files, learns and calls the API from a running gateway and a running service, over gRPC and Connect.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
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

test("reflection - the gateway describes only what it answers: no internal method, nor a message only they use", async (t) => {
  const stack = await startGatewayStack();
  t.teardown(stack.stop);
  const methods = await bufCurl([...protocols.grpc, "--list-methods", stack.gateway.url]);
  t.true(methods.includes("triggers.v1.AuthService/CreateKey"), methods);
  t.true(methods.includes("triggers.v1.DeliveryService/ListEventDeliveries"), methods);
  for (const internal of ["AuthService/VerifyKey", "DeliveryService/CancelEventDeliveries"]) {
    t.false(methods.includes(internal), `${internal} listed: ${methods}`);
  }
  const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl: stack.gateway.url }));
  const ask = async (fileContainingSymbol: string) => {
    async function* question() {
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: fileContainingSymbol } };
    }
    for await (const answer of reflection.serverReflectionInfo(question())) return answer.messageResponse;
  };
  for (const symbol of ["triggers.v1.AuthService.VerifyKey", "triggers.v1.VerifyKeyRequest", "triggers.v1.CancelEventDeliveriesResponse"]) {
    t.is((await ask(symbol))?.case, "errorResponse", `${symbol} is described`);
  }
  // Asked for the file that declares a service, the gateway hands it over without the internal method and its messages.
  const answer = await ask("triggers.v1.DeliveryService");
  if (answer?.case !== "fileDescriptorResponse") return t.fail(`no file: ${answer?.case}`);
  const [file] = answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  const service = file?.service.find((each) => each.name === "DeliveryService");
  t.true(service?.method.some((method) => method.name === "ListEventDeliveries"));
  t.false(service?.method.some((method) => method.name === "CancelEventDeliveries"));
  t.false(file?.messageType.some((message) => message.name.startsWith("CancelEventDeliveries")));
  t.true(file?.messageType.some((message) => message.name === "ListEventDeliveriesRequest"));
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
