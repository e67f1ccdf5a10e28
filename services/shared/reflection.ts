// gRPC server reflection, v1 and the v1alpha older tools still use: grpcurl, buf curl, Postman and Kreya learn the API from the running server.
import {
  clone,
  create,
  createRegistry,
  type DescFile,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/**
 * Serves both versions of the reflection service, describing the given services and the reflection service itself.
 * Hidden methods, which the server does not answer, are described nowhere: nor are the messages only they take or give.
 */
export function reflectionRoutes(served: DescService[], hidden: ReadonlySet<DescMethod> = new Set()) {
  const api = new Reflection([...served, v1.ServerReflection, v1alpha.ServerReflection], hidden);
  return (router: ConnectRouter) => {
    router.service(v1.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) yield api.answer(req);
      },
    });
    // The two versions' messages are the same on the wire: v1alpha requests are read as v1 ones and answered alike.
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, req));
          yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, api.answer(asV1)));
        }
      },
    });
  };
}

type Answer = MessageInitShape<typeof v1.ServerReflectionResponseSchema>["messageResponse"];

class Reflection {
  readonly #services: string[];
  readonly #files = new Map<string, DescFile>();
  readonly #registry: Registry;
  readonly #hiddenNames: ReadonlySet<string>;
  readonly #described = new Map<DescFile, FileDescriptorProto>();

  constructor(services: DescService[], hidden: ReadonlySet<DescMethod>) {
    this.#services = services.map((service) => service.typeName);
    for (const service of services) this.#addWithDependencies(service.file);
    this.#registry = createRegistry(...this.#files.values());
    this.#hiddenNames = hiddenNames(this.#registry, hidden);
    for (const file of this.#files.values()) this.#described.set(file, describedFile(file, this.#hiddenNames));
  }

  answer(req: v1.ServerReflectionRequest): v1.ServerReflectionResponse {
    return create(v1.ServerReflectionResponseSchema, {
      validHost: req.host,
      originalRequest: req,
      messageResponse: this.#respond(req.messageRequest),
    });
  }

  #respond(request: v1.ServerReflectionRequest["messageRequest"]): Answer {
    switch (request.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.#services.map((name) => ({ name })) } };
      case "fileByFilename":
        return this.#fileAnswer(this.#files.get(request.value), `file ${request.value}`);
      case "fileContainingSymbol":
        return this.#fileAnswer(this.#fileDeclaring(request.value), `symbol ${request.value}`);
      case "fileContainingExtension": {
        const extendee = this.#registry.getMessage(request.value.containingType);
        const extension = extendee && this.#registry.getExtensionFor(extendee, request.value.extensionNumber);
        return this.#fileAnswer(extension?.file, `extension ${request.value.extensionNumber} of ${request.value.containingType}`);
      }
      case "allExtensionNumbersOfType":
        return this.#extensionNumbers(request.value);
      default:
        return refusal(Code.InvalidArgument, "the request names no question");
    }
  }

  // A file comes with every file it imports, directly or not: clients need them all to read it.
  #fileAnswer(file: DescFile | undefined, what: string): Answer {
    if (!file) return refusal(Code.NotFound, `${what} is not known to this server`);
    const files = new Set<DescFile>();
    const collect = (each: DescFile) => {
      if (files.has(each)) return;
      files.add(each);
      for (const dependency of each.dependencies) collect(dependency);
    };
    collect(file);
    const fileDescriptorProto = [...files].map((each) => toBinary(FileDescriptorProtoSchema, this.#described.get(each) ?? each.proto));
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
  }

  // A method's symbol is its service's name and its own: "triggers.v1.InboxService.ListInbox".
  #fileDeclaring(symbol: string): DescFile | undefined {
    if (this.#hiddenNames.has(symbol)) return undefined;
    const found = this.#registry.get(symbol);
    if (found) return found.file;
    const serviceName = symbol.slice(0, symbol.lastIndexOf("."));
    const service = this.#registry.getService(serviceName);
    return service?.methods.some((method) => `${serviceName}.${method.name}` === symbol) ? service.file : undefined;
  }

  #extensionNumbers(typeName: string): Answer {
    if (!this.#registry.getMessage(typeName)) return refusal(Code.NotFound, `type ${typeName} is not known to this server`);
    const extensionNumber = [...this.#registry].flatMap((type) =>
      type.kind === "extension" && type.extendee.typeName === typeName ? [type.number] : [],
    );
    return { case: "allExtensionNumbersResponse", value: { baseTypeName: typeName, extensionNumber } };
  }

  #addWithDependencies(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    for (const dependency of file.dependencies) this.#addWithDependencies(dependency);
  }
}

/**
 * The symbols a client must not learn: each hidden method ("pkg.Service.Method"), and each message it takes or gives
 * that nothing described uses (no other method, no field of any message).
 */
function hiddenNames(registry: Registry, hidden: ReadonlySet<DescMethod>): ReadonlySet<string> {
  const used = new Set<string>();
  for (const type of registry) {
    if (type.kind === "service") {
      for (const method of type.methods.filter((each) => !hidden.has(each))) used.add(method.input.typeName).add(method.output.typeName);
    }
    if (type.kind === "message") for (const field of type.fields) if (field.message) used.add(field.message.typeName);
  }
  const names = new Set<string>();
  for (const method of hidden) {
    names.add(`${method.parent.typeName}.${method.name}`);
    for (const message of [method.input, method.output]) if (!used.has(message.typeName)) names.add(message.typeName);
  }
  return names;
}

/** A file as clients may see it: its services without the hidden methods, and without the messages only they used. */
function describedFile(file: DescFile, hiddenNames: ReadonlySet<string>): FileDescriptorProto {
  const proto = clone(FileDescriptorProtoSchema, file.proto);
  const prefix = proto.package ? `${proto.package}.` : "";
  proto.messageType = proto.messageType.filter((message) => !hiddenNames.has(prefix + message.name));
  for (const service of proto.service) {
    service.method = service.method.filter((method) => !hiddenNames.has(`${prefix}${service.name}.${method.name}`));
  }
  return proto;
}

function refusal(code: Code, errorMessage: string): Answer {
  return { case: "errorResponse", value: { errorCode: code, errorMessage } };
}
