// The SDK client a command calls the API with, telling the user on stderr whenever it waits to try a call again.
import { type RetryInfo, Triggers } from "../../sdk/src/index.js";
import type { Connection } from "./connection.js";
import type { Output } from "./output.js";

export function createClient(connection: Connection, output: Output): Triggers {
  return new Triggers({
    baseUrl: connection.url,
    apiKey: connection.apiKey,
    onRetry: (retry) => output.note(retryNotice(retry, connection.url)),
  });
}

/** Why nothing seems to happen, and for how long: `rate limited (429): waiting 5 s before trying again`. */
function retryNotice({ error, delayMs }: RetryInfo, url: string): string {
  const wait = `waiting ${Math.max(1, Math.round(delayMs / 1000))} s before trying again`;
  if (error.status === 429) return `rate limited (429), the org's plan allows no more now: ${wait}`;
  if (error.status === 503) return `the gateway answered 503 (a service is down or restarting): ${wait}`;
  if (error.status === undefined) return `no answer from ${url} (${error.message}): ${wait}`;
  return `the gateway answered ${error.status}: ${wait}`;
}
