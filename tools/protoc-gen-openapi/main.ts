// protoc-gen-openapi: a buf plugin writing the OpenAPI document of the gateway's REST API (openapi/triggers.v1.openapi.json).
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { CodeGeneratorResponse_Feature, CodeGeneratorResponseSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { runNodeJs } from "@bufbuild/protoplugin";
import { ErrorInfoSchema } from "../../gen/triggers/v1/event_pb.js";
import { openApiDocument } from "./document.js";

runNodeJs({
  name: "protoc-gen-openapi",
  version: "v1",
  run(request) {
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    const generated = new Set(request.fileToGenerate);
    const files = [...registry.files].filter((file) => generated.has(file.proto.name));
    const services = files.flatMap((file) => file.services);
    const errorInfo = registry.getMessage(ErrorInfoSchema.typeName);
    if (!errorInfo) throw new Error(`${ErrorInfoSchema.typeName} is not among the files to generate`);
    const document = openApiDocument(services, errorInfo);
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [{ name: "triggers.v1.openapi.json", content: `${JSON.stringify(document, null, 2)}\n` }],
    });
  },
});
