// The credentials of a Connect, gRPC or gRPC-Web call to the gateway: its key, and the client's address.
import type { HandlerContext } from "@connectrpc/connect";
import { keyFromHeaders } from "../shared/authenticate.js";
import { FORWARDED_FOR_HEADER, peerOf } from "../shared/request-context.js";
import type { Credentials } from "./admission.js";
import type { AddressOf } from "./client-address.js";

export function callCredentials(ctx: HandlerContext, addressOf: AddressOf): Credentials {
  return {
    key: keyFromHeaders(ctx.requestHeader),
    clientAddress: addressOf(peerOf(ctx), ctx.requestHeader.get(FORWARDED_FOR_HEADER) ?? undefined),
  };
}
