// Cross-origin requests from browsers (CORS): which origins may call the gateway, and the headers that tell the browser so.
import { cors } from "@connectrpc/connect";
import type { HttpRequest } from "../shared/request-body.js";
import { REQUEST_ID_HEADER } from "../shared/request-context.js";
import type { HttpHandler } from "../shared/server.js";
import { IDEMPOTENCY_KEY_HEADER } from "./events/event-body.js";

type HttpResponse = Parameters<HttpHandler>[1];

// Keys travel in headers, never in cookies: no request needs credentials, so they are never allowed, wildcard or not.
const allowedMethods = [...new Set([...cors.allowedMethods, "GET", "POST", "PATCH", "DELETE"])].join(", ");
const allowedHeaders = [
  ...cors.allowedHeaders,
  "Authorization",
  "X-API-Key",
  IDEMPOTENCY_KEY_HEADER,
  REQUEST_ID_HEADER,
  ...["specversion", "id", "source", "type", "time", "subject"].map((attribute) => `ce-${attribute}`),
].join(", ");
const exposedHeaders = [
  ...cors.exposedHeaders,
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "Retry-After",
  REQUEST_ID_HEADER,
].join(", ");
// Browsers keep a preflight's answer this long (Chromium caps it at 2 hours), sparing a round trip per call.
const preflightMaxAgeSeconds = 7200;

/**
 * Answers a preflight itself (true), and marks an allowed origin's other requests as readable by its page. A refused
 * origin gets no CORS header at all, so its browser keeps the answer from the page.
 */
export function corsHandler(rules: string[]): (req: HttpRequest, res: HttpResponse) => boolean {
  const allows = originMatcher(rules);
  const anyOrigin = rules.includes("*");
  // An answer differs by origin, so caches must key on it, even for a request that sent none.
  const varies = rules.length > 0 && !anyOrigin;
  return (req, res) => {
    if (varies) res.setHeader("vary", "Origin");
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined;
    const allowed = origin !== undefined && allows(origin);
    if (allowed) {
      res.setHeader("access-control-allow-origin", anyOrigin ? "*" : origin);
    }
    if (!preflight) {
      if (allowed) res.setHeader("access-control-expose-headers", exposedHeaders);
      return false;
    }
    if (allowed) {
      res.setHeader("access-control-allow-methods", allowedMethods);
      res.setHeader("access-control-allow-headers", allowedHeaders);
      res.setHeader("access-control-max-age", String(preflightMaxAgeSeconds));
    }
    res.writeHead(204, { "content-length": "0" });
    res.end();
    return true;
  };
}

function originMatcher(rules: string[]): (origin: string) => boolean {
  if (rules.includes("*")) return () => true;
  const exact = new Set(rules.filter((rule) => !rule.endsWith(":*")));
  const anyPort = rules.filter((rule) => rule.endsWith(":*")).map((rule) => rule.slice(0, -1));
  return (origin) =>
    exact.has(origin) || anyPort.some((prefix) => origin.startsWith(prefix) && /^\d{1,5}$/.test(origin.slice(prefix.length)));
}
