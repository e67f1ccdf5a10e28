// Clients other than ours: a plain @grpc/grpc-js client built from the .proto files, and a Connect client, against the stack.
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import test from "ava";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { eventually } from "../helpers/eventually.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack?.stop();
});

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

function grpcJsClients(baseUrl: string) {
  const definition = protoLoader.loadSync(["triggers/v1/ingest.proto", "triggers/v1/inbox.proto"], {
    includeDirs: [root("proto"), root("node_modules/google-proto-files")],
    keepCase: true,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const triggers = (grpc.loadPackageDefinition(definition).triggers as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const address = new URL(baseUrl).host;
  const credentials = grpc.credentials.createInsecure();
  const Ingest = triggers.IngestService as grpc.ServiceClientConstructor;
  const Inbox = triggers.InboxService as grpc.ServiceClientConstructor;
  return { ingest: new Ingest(address, credentials), inbox: new Inbox(address, credentials) };
}

function unary(client: grpc.Client, method: string, request: object, metadata: grpc.Metadata): Promise<any> {
  return new Promise((resolve, reject) => {
    (client as any)[method](request, metadata, (err: grpc.ServiceError | null, reply: unknown) => (err ? reject(err) : resolve(reply)));
  });
}

for (const target of ["gateway", "ingest"] as const) {
  test(`grpc interop - a @grpc/grpc-js client publishes and reads events through the ${target}`, async (t) => {
    const { key } = await stack.createOrg();
    const ingestUrl = target === "gateway" ? stack.gatewayUrl : stack.urls.ingest;
    const inboxUrl = target === "gateway" ? stack.gatewayUrl : stack.urls.inbox;
    const { ingest } = grpcJsClients(ingestUrl);
    const { inbox } = grpcJsClients(inboxUrl);
    t.teardown(() => {
      ingest.close();
      inbox.close();
    });
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${key}`);

    const published = await unary(ingest, "PublishEvent", { event: { type: "grpc.ping", data: { fields: {} } } }, metadata);
    t.is(published.status, "EVENT_STATUS_ACCEPTED");
    const read = await eventually(
      () => unary(inbox, "GetEvent", { id: published.id }, metadata).catch(() => undefined),
      "the event through gRPC",
    );
    t.is(read.event.type, "grpc.ping");
  });
}

test("grpc interop - a @grpc/grpc-js client without a key gets UNAUTHENTICATED", async (t) => {
  const { ingest } = grpcJsClients(stack.gatewayUrl);
  t.teardown(() => ingest.close());
  const err = await t.throwsAsync<grpc.ServiceError>(unary(ingest, "PublishEvent", { event: { type: "x" } }, new grpc.Metadata()));
  t.is(err?.code, grpc.status.UNAUTHENTICATED);
});

test("grpc interop - a Connect client over gRPC publishes and lists through the gateway", async (t) => {
  const { key } = await stack.createOrg();
  const transport = createGrpcTransport({ baseUrl: stack.gatewayUrl });
  const headers = { authorization: `Bearer ${key}` };
  const published = await createClient(IngestService, transport).publishEvent(
    { event: { type: "connect.ping", data: { n: 1 } } },
    { headers },
  );
  const inbox = createClient(InboxService, transport);
  const listed = await eventually(async () => {
    const page = await inbox.listInbox({ limit: 10 }, { headers });
    return page.events.length ? page : undefined;
  }, "the event in the inbox");
  t.is(listed.events[0]?.id, published.id);
  t.deepEqual(listed.events[0]?.data, { n: 1 });
});
