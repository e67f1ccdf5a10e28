// Puts the request id on RPC errors too: the shared interceptor only stamps successful responses.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { REQUEST_ID_HEADER, currentRequestId } from "../shared/request-context.js";

/** A client reporting a failed call should be able to quote the id that finds it in our logs. */
export const requestIdOnErrors: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    const id = currentRequestId();
    if (!(err instanceof ConnectError) || !id) throw err;
    // A copy: the key verifier hands one cached error to every request with the same bad key.
    const stamped = new ConnectError(err.rawMessage, err.code, { [REQUEST_ID_HEADER]: id }, undefined, err.cause);
    stamped.details = err.details;
    throw stamped;
  }
};
