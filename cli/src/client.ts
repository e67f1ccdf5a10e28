// The SDK client a command calls the API with, telling the user on stderr whenever it waits to try a call again.
import { type RetryInfo, Triggers } from "../../sdk/src/index.js";
import type { Connection } from "./connection.js";
import type { Output } from "./output.js";

export interface ClientOptions {
  /** Attempts after the first, for failures worth retrying (429s, 503s, no answer); the SDK's 2 unless given. */
  maxRetries?: number;
}

export function createClient(connection: Connection, output: Output, options: ClientOptions = {}): Triggers {
  return new Triggers({
    baseUrl: connection.url,
    apiKey: connection.apiKey,
    maxRetries: options.maxRetries,
    onRetry: (retry) => output.note(retryNotice(retry, connection.url)),
  });
}

/** Why nothing seems to happen, and for how long: `rate limited (429): waiting 5 s before trying again`. */
export function retryNotice({ error, delayMs }: RetryInfo, url: string): string {
  const wait = `waiting ${Math.max(1, Math.round(delayMs / 1000))} s before trying again`;
  if (error.status === 429) return `rate limited (429), the org's plan allows no more now: ${wait}`;
  if (error.status === 503) return `the gateway answered 503 (a service is down or restarting): ${wait}`;
  if (error.status === undefined) return `no answer from ${url} (${error.message}): ${wait}`;
  return `the gateway answered ${error.status}: ${wait}`;
}
