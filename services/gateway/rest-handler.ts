// Serves the REST API: matches a route, builds the request message, forwards it, and answers JSON, errors included.
import { AsyncResource } from "node:async_hooks";
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { REQUEST_ID_HEADER, withRequestId } from "../shared/request-context.js";
import type { HttpHandler } from "../shared/server.js";
import { elapsed, type RestEntry } from "./access-log.js";
import type { Forwarder } from "./forwarder.js";
import { errorBody, httpError, httpErrorHeaders, httpStatus } from "./http-errors.js";
import { readJsonBody, type HttpRequest } from "./request-body.js";
import { requestMessage, responseJson } from "./rest-messages.js";
import { matchRoute, type RestRoute } from "./rest-routes.js";

type HttpResponse = Parameters<HttpHandler>[1];

export interface RestHandlerOptions {
  routes: RestRoute[];
  forwarder: Forwarder;
  maxBodyBytes: number;
  logger: Logger;
  log: (entry: RestEntry) => void;
}

export function restHandler(options: RestHandlerOptions): HttpHandler {
  return (req, res) =>
    withRequestId(firstHeader(req.headers[REQUEST_ID_HEADER]), (requestId) => {
      const started = performance.now();
      const verb = req.method ?? "GET";
      const url = new URL(req.url ?? "/", "http://gateway");
      const match = matchRoute(options.routes, verb, url.pathname);
      const route = match.kind === "found" ? match.route.template : "unmatched";
      res.setHeader(REQUEST_ID_HEADER, requestId);
      // Bound, so that the line is written within the request's context and carries its id.
      res.once("finish", AsyncResource.bind(() => options.log({ verb, route, status: res.statusCode, durationMs: elapsed(started) })));
      if (match.kind === "none") return sendError(res, new ConnectError(`no route for ${verb} ${url.pathname}`, Code.NotFound), requestId);
      if (match.kind === "wrong-verb") return sendError(res, wrongVerb(verb, match.allow), requestId);
      serve(options, req, res, match.route, match.params, url.searchParams).catch((err: unknown) =>
        sendError(res, toConnectError(err, options.logger), requestId),
      );
    });
}

async function serve(
  options: RestHandlerOptions,
  req: HttpRequest,
  res: HttpResponse,
  route: RestRoute,
  params: Parameters<typeof requestMessage>[1],
  query: URLSearchParams,
): Promise<void> {
  const body = route.body ? await readJsonBody(req, options.maxBodyBytes) : undefined;
  const request = requestMessage(route, params, query, body);
  const response = await options.forwarder.forward(route.method, request, { header: credentialHeaders(req), signal: abortOnClose(res) });
  sendJson(res, 200, responseJson(route, response));
}

function wrongVerb(verb: string, allow: string[]): ConnectError {
  return httpError(405, `${verb} is not allowed here; use ${allow.join(" or ")}`, Code.Unimplemented, { allow: allow.join(", ") });
}

function sendError(res: HttpResponse, err: ConnectError, requestId: string): void {
  httpErrorHeaders(err).forEach((value, name) => res.setHeader(name, value));
  const status = httpStatus(err);
  // An unread body may still be arriving (a 413 stops reading it): HTTP/1.1 cannot reuse the connection then.
  if (status === 413 && res.req.httpVersionMajor === 1) res.setHeader("connection", "close");
  sendJson(res, status, errorBody(err, requestId));
}

function sendJson(res: HttpResponse, status: number, body: JsonValue): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

/** Only the credentials: the forwarder reads the key from these and nothing else of the client's headers travels. */
function credentialHeaders(req: HttpRequest): Headers {
  const headers = new Headers();
  for (const name of ["authorization", "x-api-key"]) {
    const value = firstHeader(req.headers[name]);
    if (value) headers.set(name, value);
  }
  return headers;
}

// A client that hangs up cancels the backend call it was waiting for.
function abortOnClose(res: HttpResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
