// The gateway's Connect routes (Connect, gRPC, gRPC-Web) for the methods it forwards as they are to their backends.
import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { callCredentials } from "./call-credentials.js";
import type { AddressOf } from "./client-address.js";
import type { Forwarder } from "./forwarder.js";

export function proxyRoutes(methods: DescMethod[], forwarder: Forwarder, addressOf: AddressOf) {
  return (router: ConnectRouter) => {
    for (const method of methods) {
      const handler = (request: Message, ctx: HandlerContext) =>
        forwarder.forward(method, request, { ...callCredentials(ctx, addressOf), signal: () => ctx.signal, timeoutMs: ctx.timeoutMs() });
      // The methods are only known at run time, so the router cannot check the handler's message types.
      router.rpc(method, handler as never);
    }
  };
}
