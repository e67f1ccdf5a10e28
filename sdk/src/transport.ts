// The Connect transport the client calls the gateway through: fetch-based, so the same code runs in Node and in browsers.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { ResolvedOptions } from "./options.js";

/** A Connect transport to the gateway; a request that got no answer at all fails as unavailable, with no headers. */
export function createTransport(options: Pick<ResolvedOptions, "baseUrl" | "format" | "fetch">): Transport {
  return createConnectTransport({
    baseUrl: options.baseUrl,
    useBinaryFormat: options.format === "binary",
    fetch: reportingLostRequests(options.fetch),
  });
}

/**
 * fetch rejects when no answer came (a refused or reset connection, DNS); Connect would call that "unknown".
 * gRPC calls it unavailable, and the retry policy needs to tell it from an answer. Aborts pass as they are: the
 * transport knows whether its deadline or the caller's signal fired.
 */
function reportingLostRequests(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (err) {
      if (init?.signal?.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new ConnectError(`no answer from the gateway: ${message}`, Code.Unavailable, undefined, undefined, err);
    }
  };
}
