// Carries the request id through a process and across every hop: Connect headers in, Connect headers out, logs.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import {
  ConnectError,
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";

export const REQUEST_ID_HEADER = "x-request-id";

const storage = new AsyncLocalStorage<string>();

// Callers may choose their own ids, but only short, printable ones: they end up in every log line.
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

export function currentRequestId(): string | undefined {
  return storage.getStore();
}

/** The caller's request id when it is acceptable. */
export function acceptableRequestId(candidate: string | null | undefined): string | undefined {
  return candidate && acceptable.test(candidate) ? candidate : undefined;
}

/** Runs fn with the caller's request id when it is acceptable, else a new one. */
export function withRequestId<T>(candidate: string | null | undefined, fn: (id: string) => T): T {
  const id = acceptableRequestId(candidate) ?? randomUUID();
  return storage.run(id, () => fn(id));
}

/**
 * Server side: adopts the incoming request id (or makes one) and echoes it in the response, errors included,
 * so that a client reporting a failed call can quote the id that finds it in our logs.
 */
export const acceptRequestId: Interceptor = (next) => (req) =>
  withRequestId(req.header.get(REQUEST_ID_HEADER), async (id) => {
    try {
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, id);
      return res;
    } catch (err) {
      throw stamped(ConnectError.from(err), id);
    }
  });

// A copy: one error instance may be shared by many requests (the key verifier caches rejections). Its own headers
// (a 429's retry-after) stay.
function stamped(err: ConnectError, id: string): ConnectError {
  const headers = new Headers(err.metadata);
  headers.set(REQUEST_ID_HEADER, id);
  const copy = new ConnectError(err.rawMessage, err.code, headers, undefined, err.cause);
  copy.details = err.details;
  return copy;
}

/** Client side: sends the current request id along. */
export const forwardRequestId: Interceptor = (next) => (req) => {
  const id = currentRequestId();
  if (id) req.header.set(REQUEST_ID_HEADER, id);
  return next(req);
};

/** The gateway tells backends who the client is in this header, as its only entry. */
export const FORWARDED_FOR_HEADER = "x-forwarded-for";

const peerKey = createContextKey<string | undefined>(undefined, { description: "the address of the connection's peer" });

/** What the server knows of a request before any handler runs: the address of its connection's peer. */
export function connectionValues(req: { socket: { remoteAddress?: string } }): ContextValues {
  return createContextValues().set(peerKey, req.socket.remoteAddress);
}

/** The address of the peer of the connection an RPC came on. */
export function peerOf(ctx: HandlerContext): string | undefined {
  return ctx.values.get(peerKey);
}

/** Who made the call: the address the gateway forwarded for, or, for a call made here directly, the peer. */
export function clientAddressOf(ctx: HandlerContext): string {
  return ctx.requestHeader.get(FORWARDED_FOR_HEADER)?.split(",")[0]?.trim() || peerOf(ctx) || "";
}
