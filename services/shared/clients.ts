// Clients of our own services: gRPC over HTTP/2 with the request id forwarded on every call.
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { forwardRequestId } from "./request-context.js";

export function createServiceClient<S extends DescService>(service: S, baseUrl: string): Client<S> {
  return createClient(service, createGrpcTransport({ baseUrl, interceptors: [forwardRequestId] }));
}
