// The gateway's WatchEvents for Connect, gRPC and gRPC-Web clients: each message written before the next is read, and a reader that falls behind is ended.
import type { ConnectRouter } from "@connectrpc/connect";
import { InboxService } from "../../../gen/triggers/v1/inbox_pb.js";
import { StreamEnded } from "../../shared/domain-errors.js";
import { callCredentials } from "../call-credentials.js";
import type { AddressOf } from "../client-address.js";
import type { EventStreams } from "./event-streams.js";

export function rpcWatch(streams: EventStreams, addressOf: AddressOf, slowReaderMs: number) {
  return (router: ConnectRouter) =>
    router.rpc(InboxService.method.watchEvents, async function* watchEvents(req, ctx) {
      const messages = await streams.open(req, callCredentials(ctx, addressOf), ctx.signal);
      for await (const message of messages) {
        // A write waits while the client's flow-control window is full: the server holds one message, not a backlog.
        const began = performance.now();
        yield message;
        if (performance.now() - began > slowReaderMs) throw new StreamEnded("slow_reader");
      }
    });
}
