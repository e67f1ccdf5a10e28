// Makes one API call the way every resource method does: the key, a timeout per attempt, retries, the caller's signal, one error type.
import type { DescService } from "@bufbuild/protobuf";
import { type CallOptions, type Client, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { type RequestOptions, type ResolvedOptions, requestSettings } from "./options.js";
import { rateLimitOf } from "./rate-limit.js";
import { retryDelayMs } from "./retry-policy.js";
import { createTransport } from "./transport.js";
import { TriggersError } from "./triggers-error.js";

export interface CallPolicy {
  /** See RetryContext.safeToRepeat: whether a call that got no answer may be sent again. */
  safeToRepeat: boolean;
  /** Added to each attempt's timeout: a long-poll's wait. */
  extraTimeoutMs?: number;
  /** A delete: not found on a retry means an earlier attempt, whose answer was lost, did the deleting. */
  deletes?: boolean;
}

export class Caller {
  readonly #options: ResolvedOptions;
  readonly #transport: Transport;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#transport = createTransport(options);
  }

  /** A generated Connect client of one service, over this client's transport. */
  client<S extends DescService>(service: S): Client<S> {
    return createClient(service, this.#transport);
  }

  /** The options of a stream: the key and the caller's signal, and no timeout, which would cut a stream that is merely quiet. */
  streamOptions(signal: AbortSignal | undefined): CallOptions {
    return { headers: this.#headers(), signal };
  }

  /**
   * Runs `attempt` until it answers, it fails in a way not worth retrying, or the retries run out; throws a
   * TriggersError. `attempt` makes the call with the Connect options it is given.
   */
  async call<T>(attempt: (options: CallOptions) => Promise<T>, policy: CallPolicy, options: RequestOptions = {}): Promise<T> {
    const { timeoutMs, maxRetries, onResponse, onRetry } = requestSettings(this.#options, options);
    const { signal } = options;
    const headers = this.#headers();
    for (let failures = 1; ; failures++) {
      if (signal?.aborted) throw canceled(signal);
      let responseHeaders: Headers | undefined;
      try {
        const result = await attempt({
          headers,
          signal,
          timeoutMs: timeoutMs + (policy.extraTimeoutMs ?? 0),
          onHeader: (received) => {
            responseHeaders = received;
          },
        });
        if (onResponse && responseHeaders) {
          onResponse({
            requestId: responseHeaders.get("x-request-id") ?? undefined,
            rateLimit: rateLimitOf(responseHeaders),
            headers: responseHeaders,
          });
        }
        return result;
      } catch (thrown) {
        const err = ConnectError.from(thrown);
        if (policy.deletes && failures > 1 && err.code === Code.NotFound) return undefined as T;
        const delay = retryDelayMs(err, {
          failures,
          safeToRepeat: policy.safeToRepeat,
          maxRetryAfterSeconds: this.#options.maxRetryAfterSeconds,
        });
        if (delay === undefined || failures > maxRetries) throw new TriggersError(err);
        onRetry?.({ error: new TriggersError(err), failures, delayMs: delay });
        await sleep(delay, signal);
      }
    }
  }

  #headers(): Record<string, string> | undefined {
    return this.#options.token ? { authorization: `Bearer ${this.#options.token}` } : undefined;
  }
}

/** Waits, unless the caller gives up first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(canceled(signal!));
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}

function canceled(signal: AbortSignal): TriggersError {
  return new TriggersError(ConnectError.from(signal.reason ?? "the call was cancelled", Code.Canceled));
}
