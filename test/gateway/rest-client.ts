// A small client of the gateway's REST API for tests: raw status, headers and JSON, nothing hidden.
import { randomBytes } from "node:crypto";

export interface RestResponse {
  status: number;
  headers: Headers;
  json: any;
}

export interface RestCall {
  method?: string;
  key?: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
}

export async function rest(baseUrl: string, path: string, call: RestCall = {}): Promise<RestResponse> {
  const headers: Record<string, string> = { ...(call.key ? { authorization: `Bearer ${call.key}` } : {}), ...call.headers };
  const body = call.body === undefined || typeof call.body === "string" ? call.body : JSON.stringify(call.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(`${baseUrl}${path}`, { method: call.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Creates an org through the gateway with the admin token and returns its API key. */
export async function createOrg(baseUrl: string, adminToken: string): Promise<string> {
  const res = await rest(baseUrl, "/v1/orgs", { key: adminToken, body: { name: `org-${randomBytes(4).toString("hex")}` } });
  if (res.status !== 200) throw new Error(`creating an org failed: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.api_key.secret as string;
}
