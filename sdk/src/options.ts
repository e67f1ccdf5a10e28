// The client's options: what can be set, the table of defaults, and the one place they are checked.
import type { RateLimit } from "./rate-limit.js";
import type { TriggersError } from "./triggers-error.js";

/** What an answer told beyond its message: for logs, and for pacing publishes by the org's plan. */
export interface ResponseInfo {
  /** The id that finds the call in the server's logs. */
  requestId: string | undefined;
  /** Where the org stands against its plan; publishes answer it. */
  rateLimit: RateLimit | undefined;
  headers: Headers;
}

/** Options of one call; each overrides the client's own for that call. */
export interface RequestOptions {
  /** Cancels the call, retries and the waits between them included. */
  signal?: AbortSignal;
  /** How long one attempt may take, in milliseconds; a retry starts a new one. */
  timeoutMs?: number;
  /** How many times a failed attempt is tried again, when it may be (see the README's "Retries"). */
  maxRetries?: number;
  /** Told of every successful answer. */
  onResponse?: (info: ResponseInfo) => void;
  /** Told of each failed attempt that will be tried again, before the wait: to tell a user why nothing seems to happen. */
  onRetry?: (retry: RetryInfo) => void;
}

/** A failed attempt about to be tried again. */
export interface RetryInfo {
  /** Why the attempt failed: a 429's `retryAfterSeconds` and `rateLimit`, a 503, or no answer (`status` undefined). */
  error: TriggersError;
  /** How many attempts failed so far, this one included. */
  failures: number;
  /** How long the client waits before the next attempt, in milliseconds. */
  delayMs: number;
}

export interface TriggersOptions extends Omit<RequestOptions, "signal"> {
  /** Where the gateway is, such as `https://triggers.example.com` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API key (`tk_live_...`): every call but the org's creation and plan changes needs one. */
  apiKey?: string;
  /** The operator's admin token, for `orgs.create` and `orgs.update` only; give it instead of an API key. */
  adminToken?: string;
  /** The wire format of the Connect protocol: binary protobuf (smaller, faster) or JSON (readable in a browser's tools). */
  format?: "binary" | "json";
  /** The fetch to use: a proxy's, a test's, or one with its own agent; the platform's by default. */
  fetch?: typeof globalThis.fetch;
  /** The longest Retry-After worth waiting for, in seconds: a 429 asking for longer is thrown at once. */
  maxRetryAfterSeconds?: number;
}

export interface ResolvedOptions {
  baseUrl: string;
  /** The bearer token every call carries, if any. */
  token: string | undefined;
  format: "binary" | "json";
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterSeconds: number;
  onResponse: ((info: ResponseInfo) => void) | undefined;
  onRetry: ((retry: RetryInfo) => void) | undefined;
}

const defaults = {
  format: "binary",
  // An attempt that has not answered in 30 s will not; a long-poll adds its wait to this.
  timeoutMs: 30_000,
  // Three attempts ride out a restarting replica or a dropped connection without hiding an outage for long.
  maxRetries: 2,
  // A plan's bucket refills within a minute, so no 429 asks for longer unless something else is wrong.
  maxRetryAfterSeconds: 60,
} as const;

/** The options with their defaults; throws at once on a value that cannot work, naming it. */
export function resolveOptions(options: TriggersOptions): ResolvedOptions {
  if (typeof options?.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
    throw new TypeError(`baseUrl must be an http or https URL, such as "http://127.0.0.1:8080"; got ${String(options?.baseUrl)}`);
  }
  if (options.apiKey !== undefined && options.adminToken !== undefined) {
    throw new TypeError("give apiKey or adminToken, not both: a call carries one of them");
  }
  const format = options.format ?? defaults.format;
  if (format !== "binary" && format !== "json") throw new TypeError(`format must be "binary" or "json"; got ${String(format)}`);
  const fetch = options.fetch ?? globalThis.fetch;
  if (typeof fetch !== "function") throw new TypeError("no fetch: give one as the fetch option");
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    token: options.apiKey ?? options.adminToken,
    format,
    fetch,
    timeoutMs: positive("timeoutMs", options.timeoutMs ?? defaults.timeoutMs),
    maxRetries: atLeastZero("maxRetries", options.maxRetries ?? defaults.maxRetries),
    maxRetryAfterSeconds: atLeastZero("maxRetryAfterSeconds", options.maxRetryAfterSeconds ?? defaults.maxRetryAfterSeconds),
    onResponse: options.onResponse,
    onRetry: options.onRetry,
  };
}

/** A call's own options over the client's, checked like them. */
export function requestSettings(
  resolved: ResolvedOptions,
  options: RequestOptions = {},
): Pick<ResolvedOptions, "timeoutMs" | "maxRetries" | "onResponse" | "onRetry"> {
  return {
    timeoutMs: positive("timeoutMs", options.timeoutMs ?? resolved.timeoutMs),
    maxRetries: atLeastZero("maxRetries", options.maxRetries ?? resolved.maxRetries),
    onResponse: options.onResponse ?? resolved.onResponse,
    onRetry: options.onRetry ?? resolved.onRetry,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number; got ${value}`);
  return value;
}

function atLeastZero(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number, 0 or more; got ${value}`);
  return value;
}
