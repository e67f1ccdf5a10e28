// What the reflection service tells a tool about a server: its services, and each file a symbol needs with all it imports.
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import test from "ava";
import { http } from "../../gen/google/api/annotations_pb.js";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { reflectionRoutes } from "../../services/shared/reflection.js";

const transport = createRouterTransport(reflectionRoutes([InboxService]));

async function ask(request: v1.ServerReflectionRequest["messageRequest"]): Promise<v1.ServerReflectionResponse["messageResponse"]> {
  const client = createClient(v1.ServerReflection, transport);
  async function* one() {
    yield create(v1.ServerReflectionRequestSchema, { messageRequest: request });
  }
  for await (const res of client.serverReflectionInfo(one())) return res.messageResponse;
  throw new Error("no answer");
}

function filesOf(answer: v1.ServerReflectionResponse["messageResponse"]) {
  if (answer.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${answer.case}`);
  return answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

test("reflection - lists the services served and the reflection services themselves", async (t) => {
  const answer = await ask({ case: "listServices", value: "" });
  t.is(answer.case, "listServicesResponse");
  const names = answer.case === "listServicesResponse" ? answer.value.service.map((service) => service.name) : [];
  t.deepEqual(names.sort(), [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "triggers.v1.InboxService",
  ]);
});

test("reflection - a method's file comes with every file it imports, enough to build a registry", async (t) => {
  const files = filesOf(await ask({ case: "fileContainingSymbol", value: "triggers.v1.InboxService.ListInbox" }));
  const names = files.map((file) => file.name);
  t.true(names.includes("triggers/v1/inbox.proto"));
  t.true(names.includes("google/api/annotations.proto"));
  t.true(names.includes("google/protobuf/descriptor.proto"));
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(files) }));
  t.truthy(registry.getService("triggers.v1.InboxService")?.methods.find((method) => method.name === "ListInbox"));
});

test("reflection - messages, files and extensions are found by name; what is unknown is not_found", async (t) => {
  t.true(
    filesOf(await ask({ case: "fileContainingSymbol", value: "triggers.v1.Event" })).some(
      (file) => file.name === "triggers/v1/event.proto",
    ),
  );
  t.is(filesOf(await ask({ case: "fileByFilename", value: "triggers/v1/inbox.proto" }))[0]?.name, "triggers/v1/inbox.proto");
  const extension = { containingType: "google.protobuf.MethodOptions", extensionNumber: http.number };
  t.true(filesOf(await ask({ case: "fileContainingExtension", value: create(v1.ExtensionRequestSchema, extension) })).length > 0);
  const numbers = await ask({ case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" });
  t.true(numbers.case === "allExtensionNumbersResponse" && numbers.value.extensionNumber.includes(http.number));
  for (const unknown of [
    await ask({ case: "fileContainingSymbol", value: "triggers.v1.NoSuchThing" }),
    await ask({ case: "fileByFilename", value: "nowhere.proto" }),
  ]) {
    t.true(unknown.case === "errorResponse" && unknown.value.errorCode === Code.NotFound);
  }
});

test("reflection - v1alpha, which older tools use, answers as v1 does", async (t) => {
  const client = createClient(v1alpha.ServerReflection, transport);
  async function* one() {
    yield create(v1alpha.ServerReflectionRequestSchema, {
      messageRequest: { case: "fileContainingSymbol", value: "triggers.v1.InboxService" },
    });
  }
  for await (const res of client.serverReflectionInfo(one())) {
    t.is(res.messageResponse.case, "fileDescriptorResponse");
    return;
  }
  t.fail("no answer");
});

/**
 * The files ordered so that each comes after every file it imports, as a registry is built. (createFileRegistry's
 * own resolver adds a file before its dependencies when one is imported both directly and through another file.)
 */
function dependenciesFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((file) => [file.name, file]));
  const ordered = new Set<FileDescriptorProto>();
  const visit = (file: FileDescriptorProto) => {
    if (ordered.has(file)) return;
    for (const name of file.dependency) visit(byName.get(name)!);
    ordered.add(file);
  };
  for (const file of files) visit(file);
  return [...ordered];
}
