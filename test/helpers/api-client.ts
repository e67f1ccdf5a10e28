// The tests' one JSON client of the gateway and the services: REST routes and Connect calls alike, with raw status and headers.
import { randomBytes } from "node:crypto";
import { eventually } from "./eventually.js";

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON answer; undefined when the answer is empty; a stream's text as it came. */
  body: T;
}

export interface Call {
  method?: string;
  key?: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  /** Aborts the call (AbortSignal.timeout, say). */
  signal?: AbortSignal;
}

/** One request: POST when there is a body, GET otherwise, unless call.method says. */
export async function request<T = any>(baseUrl: string, path: string, call: Call = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(call.key ? { authorization: `Bearer ${call.key}` } : {}), ...call.headers };
  const body = call.body === undefined || typeof call.body === "string" ? call.body : JSON.stringify(call.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const method = call.method ?? (body === undefined ? "GET" : "POST");
  // fetch says only "fetch failed": the cause's code (refused, reset) tells a dead server from a dropped connection.
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: call.signal }).catch((err: Error) => {
    const cause = err.cause as { code?: string; message?: string } | undefined;
    throw new Error(`${method} ${baseUrl}${path}: ${err.message} (${cause?.code ?? cause?.message ?? "no cause"})`, { cause: err });
  });
  const text = await res.text();
  const json = !res.headers.get("content-type")?.startsWith("text/event-stream");
  return { status: res.status, headers: res.headers, body: text ? (json ? JSON.parse(text) : text) : undefined };
}

/** A client bound to a base URL and an API key. */
export function apiClient(baseUrl: string, key?: string) {
  const call = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(baseUrl, path, { method, key, body, headers });
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>("GET", path, undefined, headers),
    post: <T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) => call<T>("POST", path, body, headers),
    patch: <T = any>(path: string, body: unknown) => call<T>("PATCH", path, body),
    delete: <T = any>(path: string) => call<T>("DELETE", path),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

export interface TestOrg {
  orgId: string;
  key: string;
}

// Tests of anything but the rate limit must not run into it: the largest custom plan.
const roomiestPlan = { plan: "custom", events_per_minute: 10_000_000 };

/**
 * Creates an org with the admin token and returns its id and first API key. The Connect path of CreateOrg is
 * served by the gateway and by the auth service alike, so this works against either. A 503 is asked again, as a
 * client told to try again would: a cluster that has just healed may still be electing a stream's leader.
 */
export async function createOrg(
  baseUrl: string,
  adminToken: string,
  name = `test-${randomBytes(4).toString("hex")}`,
  plan: Record<string, unknown> = roomiestPlan,
): Promise<TestOrg> {
  const res = await askedUntilServed(() =>
    request(baseUrl, "/triggers.v1.AuthService/CreateOrg", { key: adminToken, body: { name, ...plan } }),
  );
  if (res.status !== 200) throw new Error(`creating an org answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { orgId: res.body.org.id, key: res.body.api_key.secret };
}

/** Calls ask until its answer is not a 503, and returns that answer. */
export function askedUntilServed<T>(ask: () => Promise<Reply<T>>): Promise<Reply<T>> {
  return eventually(async () => {
    const reply = await ask();
    return reply.status === 503 ? undefined : reply;
  }, "an answer other than 503");
}

/** Every pending event of an org's inbox, following cursors to the end. */
export async function wholeInbox(api: ApiClient): Promise<Array<{ id: string; type: string; data: unknown }>> {
  const events = [];
  let cursor = "";
  do {
    const page = await api.get(`/v1/inbox?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    if (page.status !== 200) throw new Error(`GET /v1/inbox answered ${page.status}: ${JSON.stringify(page.body)}`);
    events.push(...(page.body.events ?? []));
    cursor = page.body.next_cursor;
  } while (cursor);
  return events;
}
