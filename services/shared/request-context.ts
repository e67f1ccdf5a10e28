// Carries the request id through a process and across every hop: Connect headers in, Connect headers out, logs.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";

export const REQUEST_ID_HEADER = "x-request-id";

const storage = new AsyncLocalStorage<string>();

// Callers may choose their own ids, but only short, printable ones: they end up in every log line.
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

export function currentRequestId(): string | undefined {
  return storage.getStore();
}

/** Runs fn with the caller's request id when it is acceptable, else a new one. */
export function withRequestId<T>(candidate: string | null | undefined, fn: (id: string) => T): T {
  const id = candidate && acceptable.test(candidate) ? candidate : randomUUID();
  return storage.run(id, () => fn(id));
}

/** Server side: adopts the incoming request id (or makes one) and echoes it in the response. */
export const acceptRequestId: Interceptor = (next) => (req) =>
  withRequestId(req.header.get(REQUEST_ID_HEADER), async (id) => {
    const res = await next(req);
    res.header.set(REQUEST_ID_HEADER, id);
    return res;
  });

/** Client side: sends the current request id along. */
export const forwardRequestId: Interceptor = (next) => (req) => {
  const id = currentRequestId();
  if (id) req.header.set(REQUEST_ID_HEADER, id);
  return next(req);
};
