// The gateway's Connect routes (Connect, gRPC, gRPC-Web): every public method, forwarded as it is to its backend.
import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { keyFromHeaders } from "../shared/authenticate.js";
import { quotaHeaders } from "../shared/quota.js";
import { FORWARDED_FOR_HEADER, peerOf } from "../shared/request-context.js";
import type { AddressOf } from "./client-address.js";
import type { Forwarder } from "./forwarder.js";

export function proxyRoutes(methods: DescMethod[], forwarder: Forwarder, addressOf: AddressOf) {
  return (router: ConnectRouter) => {
    for (const method of methods) {
      const handler = (request: Message, ctx: HandlerContext) =>
        forwarder.forward(method, request, {
          key: keyFromHeaders(ctx.requestHeader),
          clientAddress: addressOf(peerOf(ctx), ctx.requestHeader.get(FORWARDED_FOR_HEADER) ?? undefined),
          onQuota: (quota) => {
            for (const [name, value] of Object.entries(quotaHeaders(quota))) ctx.responseHeader.set(name, value);
          },
          signal: () => ctx.signal,
          timeoutMs: ctx.timeoutMs(),
        });
      // The methods are only known at run time, so the router cannot check the handler's message types.
      router.rpc(method, handler as never);
    }
  };
}
