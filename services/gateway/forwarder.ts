// Forwards one public RPC to the backend that serves it, a unary call or a stream: the API key is checked here first, errors are relayed by code.
import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import { toJsonString } from "@bufbuild/protobuf";
import { type CallOptions, Code, ConnectError } from "@connectrpc/connect";
import type { Caller } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { apiJson } from "../shared/json.js";
import type { Logger } from "../shared/logger.js";
import { currentRequestId, FORWARDED_FOR_HEADER } from "../shared/request-context.js";
import type { Admission, Credentials } from "./admission.js";
import { JsonBackend } from "./json-backend.js";
import type { Backend } from "./public-api.js";
import { StreamConnections } from "./stream-connections.js";

export interface ForwardOptions extends Credentials {
  /** What admit() found for this call's method, when it was admitted already: it is not checked twice. */
  admitted?: Admitted;
  /** Aborted when the client cancels the call; made only when needed, as making one costs a REST request. */
  signal?: () => AbortSignal;
  /** The client's own deadline, when it set one. */
  timeoutMs?: number;
}

type UnaryCall = (request: Message, options: CallOptions) => Promise<Message>;

/** A call admitted for one method; it admits nothing else. */
export interface Admitted {
  method: DescMethod;
  /** Undefined for a method that takes no key. */
  caller: Caller | undefined;
}

export class Forwarder {
  readonly #clients = new Map<DescService, Record<string, UnaryCall>>();
  readonly #streams = new Map<DescService, StreamConnections>();
  readonly #jsonBackends = new Map<DescService, JsonBackend>();

  constructor(
    backends: Backend[],
    private readonly admission: Admission,
    private readonly logger: Logger,
    /** No call waits on a backend longer than this: a hung backend must not hold requests forever. */
    private readonly maxTimeoutMs: number,
  ) {
    for (const { service, url } of backends) {
      // Calls are made by method name, whatever the service: the one place the client's typing is set aside.
      this.#clients.set(service, createServiceClient(service, url) as unknown as Record<string, UnaryCall>);
      this.#streams.set(service, new StreamConnections(service, url));
      this.#jsonBackends.set(service, new JsonBackend(url));
    }
  }

  /**
   * Refuses a call the gateway must not forward (see Admission); spares the backends traffic that can only fail.
   * What it answers goes with the call as ForwardOptions.admitted.
   */
  async admit(method: DescMethod, credentials: Credentials): Promise<Admitted> {
    return { method, caller: await this.admission.admit(method, credentials) };
  }

  async forward(method: DescMethod, request: Message, options: ForwardOptions): Promise<Message> {
    await this.#caller(method, options);
    return this.#call(method, request, options);
  }

  /**
   * A server-streaming call: the backend's messages as they come, for as long as the stream lasts (no deadline of
   * ours: a stream's length is its caller's to choose), its errors relayed as a unary call's are.
   */
  async *forwardStream(method: DescMethod, request: Message, options: ForwardOptions): AsyncGenerator<Message> {
    await this.#caller(method, options);
    const connections = this.#streams.get(method.parent);
    if (!connections) throw new ConnectError(`${method.parent.typeName}.${method.name} has no backend`, Code.Unimplemented);
    const signal = options.signal?.();
    try {
      yield* connections.call(method, request, { headers: backendHeaders(options), signal });
    } catch (err) {
      throw this.#relayed(err, method, signal);
    }
  }

  /** The REST path: the request goes to the backend as Connect JSON, and its answer comes back as it was written, never decoded here. */
  async forwardJson(method: DescMethod, request: Message, options: ForwardOptions): Promise<Buffer> {
    await this.#caller(method, options);
    const backend = this.#jsonBackends.get(method.parent);
    if (!backend) throw new ConnectError(`${method.parent.typeName}.${method.name} has no backend`, Code.Unimplemented);
    const signal = options.signal?.();
    try {
      return await backend.call(`${method.parent.typeName}/${method.name}`, toJsonString(method.input, request, apiJson), {
        key: options.key,
        clientAddress: options.clientAddress,
        requestId: currentRequestId(),
        timeoutMs: this.#timeoutMs(options),
        signal,
      });
    } catch (err) {
      throw this.#relayed(err, method, signal);
    }
  }

  /** The call's caller, from its admission when that was for this very method, else from admitting it now. */
  async #caller(method: DescMethod, options: ForwardOptions): Promise<Caller | undefined> {
    const { admitted } = options;
    return admitted?.method === method ? admitted.caller : (await this.admit(method, options)).caller;
  }

  #timeoutMs(options: ForwardOptions): number {
    return Math.min(options.timeoutMs ?? this.maxTimeoutMs, this.maxTimeoutMs);
  }

  async #call(method: DescMethod, request: Message, options: ForwardOptions): Promise<Message> {
    const call = this.#clients.get(method.parent)?.[method.localName];
    if (!call) throw new ConnectError(`${method.parent.typeName}.${method.name} has no backend`, Code.Unimplemented);
    const signal = options.signal?.();
    try {
      return await call(request, { headers: backendHeaders(options), signal, timeoutMs: this.#timeoutMs(options) });
    } catch (err) {
      throw this.#relayed(err, method, signal);
    }
  }

  /**
   * The backend's own answer goes back as it came, its code and message; a failure to reach it becomes unavailable.
   * A call cancelled without its caller giving up was cut by the backend going away (its streams are reset).
   */
  #relayed(err: unknown, method: DescMethod, signal: AbortSignal | undefined): ConnectError {
    const error = ConnectError.from(err);
    if (isBackendAnswer(error)) {
      const relayed = new ConnectError(error.rawMessage, error.code);
      relayed.details = error.details;
      return relayed;
    }
    const callerGaveUp = error.code === Code.Canceled && signal?.aborted === true;
    if (callerGaveUp || error.code === Code.DeadlineExceeded) return new ConnectError(error.rawMessage, error.code);
    this.logger.warn({ err: error, backend: method.parent.typeName }, "backend unreachable");
    return new ConnectError(`${method.parent.name} is unavailable, try again`, Code.Unavailable);
  }
}

// An error the backend sent comes with the headers of its answer; one of the client's own (refused, reset, timed out) has none.
function isBackendAnswer(error: ConnectError): boolean {
  return error.metadata.has("content-type");
}

/**
 * Backends read one form of credential: whatever the caller sent becomes `Authorization: Bearer`. The client's
 * address goes as the one entry of X-Forwarded-For, replacing whatever the client wrote there.
 */
function backendHeaders({ key, clientAddress }: Credentials): Headers {
  const headers = new Headers({ [FORWARDED_FOR_HEADER]: clientAddress });
  if (key) headers.set("authorization", `Bearer ${key}`);
  return headers;
}
