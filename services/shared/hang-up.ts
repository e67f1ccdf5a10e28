// A client's hang-up as an abort signal, for work done on its behalf over plain HTTP.

/** What both HTTP/1.1 and HTTP/2 responses offer. */
interface Response {
  once(event: "close", listener: () => void): unknown;
  readonly writableEnded: boolean;
}

/**
 * Aborted when the client hangs up before its answer is written, so that the work done for it can stop. Whether the
 * server ended the answer tells, not whether it finished: when an HTTP/2 client cancels its stream, Node's response
 * reports itself finished before it closes, and an event stream whose client had gone held its key's slot on.
 */
export function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableEnded) controller.abort();
  });
  return controller.signal;
}
