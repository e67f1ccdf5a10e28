// A client's hang-up as an abort signal, for work done on its behalf over plain HTTP.

/** What both HTTP/1.1 and HTTP/2 responses offer. */
interface Response {
  once(event: "close", listener: () => void): unknown;
  readonly writableFinished: boolean;
}

/** Aborted when the client hangs up before its answer is written, so that the work done for it can stop. */
export function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
