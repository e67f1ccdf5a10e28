// Backend connections for server streams, apart from the unary calls': a stream holds an HTTP/2 stream for as long as it lasts, and one connection carries a bounded number of them.
import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import type { CallOptions } from "@connectrpc/connect";
import { createServiceClient } from "../shared/clients.js";

type StreamCall = (request: Message, options: CallOptions) => AsyncIterable<Message>;

interface Connection {
  calls: Record<string, StreamCall>;
  open: number;
}

/**
 * Streams a connection carries at most: half what our servers let one connection open (server.ts), so that a
 * connection never waits for room. Past it, another connection is opened; each client has its own.
 */
export const streamsPerConnection = 500;

export class StreamConnections {
  readonly #connections: Connection[] = [];

  constructor(
    private readonly service: DescService,
    private readonly url: string,
  ) {}

  async *call(method: DescMethod, request: Message, options: CallOptions): AsyncGenerator<Message> {
    const connection = this.#roomy();
    connection.open++;
    try {
      yield* connection.calls[method.localName]!(request, options);
    } finally {
      connection.open--;
    }
  }

  #roomy(): Connection {
    const found = this.#connections.find((connection) => connection.open < streamsPerConnection);
    if (found) return found;
    // Calls are made by method name, whatever the service: the client's typing is set aside, as the Forwarder's is.
    const calls = createServiceClient(this.service, this.url) as unknown as Record<string, StreamCall>;
    const added = { calls, open: 0 };
    this.#connections.push(added);
    return added;
  }
}
