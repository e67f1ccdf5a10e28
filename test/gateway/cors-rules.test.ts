// Which origins the CORS rules let in, checked in memory: exact origins, any port of a host, and "*".
import test from "ava";
import { corsHandler } from "../../services/gateway/cors.js";

/** The CORS headers the gateway sets on a request from origin, and whether it answered the request itself. */
function corsOf(rules: string[], origin: string | undefined, preflight = false) {
  const headers: Record<string, string> = {};
  let status: number | undefined;
  const req = {
    method: preflight ? "OPTIONS" : "POST",
    headers: { ...(origin ? { origin } : {}), ...(preflight ? { "access-control-request-method": "POST" } : {}) },
  };
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    writeHead: (code: number) => {
      status = code;
    },
    end: () => undefined,
  };
  const answered = corsHandler(rules)(req as any, res as any);
  return { answered, status, allowed: headers["access-control-allow-origin"], vary: headers.vary };
}

test("cors rules - an exact origin is allowed, and nothing that merely starts or ends like it", (t) => {
  const rules = ["https://app.example.com"];
  t.is(corsOf(rules, "https://app.example.com").allowed, "https://app.example.com");
  for (const origin of ["https://app.example.com.evil.example", "https://evil.app.example.com", "http://app.example.com"]) {
    t.is(corsOf(rules, origin).allowed, undefined, origin);
  }
});

test("cors rules - a host with any port takes a port and nothing else", (t) => {
  const rules = ["http://localhost:*"];
  t.is(corsOf(rules, "http://localhost:5173").allowed, "http://localhost:5173");
  for (const origin of ["http://localhost", "http://localhost:5173.evil.example", "http://localhost:abc", "http://localhost:123456"]) {
    t.is(corsOf(rules, origin).allowed, undefined, origin);
  }
});

test("cors rules - * lets every origin in as *, and answers are then the same for all: no Vary", (t) => {
  t.like(corsOf(["*", "https://app.example.com"], "https://anyone.example"), { allowed: "*", vary: undefined });
});

test("cors rules - answers vary by origin whenever origins are listed, even to a request without one; with no rules, nothing is set", (t) => {
  t.like(corsOf(["https://app.example.com"], undefined), { allowed: undefined, vary: "Origin", answered: false });
  t.like(corsOf([], "https://app.example.com"), { allowed: undefined, vary: undefined, answered: false });
});

test("cors rules - every preflight is answered with 204, with the CORS headers only for an allowed origin", (t) => {
  t.like(corsOf(["https://app.example.com"], "https://app.example.com", true), {
    answered: true,
    status: 204,
    allowed: "https://app.example.com",
  });
  t.like(corsOf(["https://app.example.com"], "https://evil.example", true), { answered: true, status: 204, allowed: undefined });
});
