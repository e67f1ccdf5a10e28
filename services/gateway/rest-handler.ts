// Serves the REST API: matches a route, admits the caller, then forwards the request to its backend or hands it to the route's own server, and answers JSON, errors included.
import { Code, ConnectError } from "@connectrpc/connect";
import { keyFromHeaders } from "../shared/authenticate.js";
import { toConnectError } from "../shared/errors.js";
import { abortOnClose } from "../shared/hang-up.js";
import type { Logger } from "../shared/logger.js";
import { type Quota, quotaHeaders } from "../shared/quota.js";
import { type HttpRequest, headerOf } from "../shared/request-body.js";
import { FORWARDED_FOR_HEADER, REQUEST_ID_HEADER, withRequestId } from "../shared/request-context.js";
import type { HttpHandler } from "../shared/server.js";
import { elapsed, type RestEntry } from "./access-log.js";
import type { AddressOf } from "./client-address.js";
import type { Forwarder } from "./forwarder.js";
import { errorBody, httpError, httpErrorHeaders, httpStatus } from "./http-errors.js";
import { readRestBody } from "./request-body.js";
import { requestMessage, responseText } from "./rest-messages.js";
import { matchRoute, type RestRoute } from "./rest-routes.js";

type HttpResponse = Parameters<HttpHandler>[1];

export interface RestHandlerOptions {
  routes: RestRoute[];
  forwarder: Forwarder;
  maxBodyBytes: number;
  logger: Logger;
  log: (entry: RestEntry) => void;
  addressOf: AddressOf;
}

export function restHandler(options: RestHandlerOptions): HttpHandler {
  return (req, res) =>
    withRequestId(headerOf(req)(REQUEST_ID_HEADER), (requestId) => {
      const verb = req.method ?? "GET";
      const url = new URL(req.url ?? "/", "http://gateway");
      const match = matchRoute(options.routes, verb, url.pathname);
      const reply = replier(options, res, requestId, verb, match.kind === "found" ? match.route.template : "unmatched");
      if (match.kind === "none") return reply.error(new ConnectError(`no route for ${verb} ${url.pathname}`, Code.NotFound));
      if (match.kind === "wrong-verb") return reply.error(wrongVerb(verb, match.allow));
      const headers: Record<string, string> = {};
      const onQuota = (quota: Quota) => Object.assign(headers, quotaHeaders(quota));
      serve(options, req, res, match.route, match.params, url.searchParams, onQuota).then(
        (text) => (text === undefined ? reply.written(200) : reply.text(200, text, headers)),
        (err: unknown) => reply.error(toConnectError(err, options.logger)),
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
  onQuota: (quota: Quota) => void,
): Promise<Buffer | string | undefined> {
  const header = headerOf(req);
  const credentials = {
    key: keyFromHeaders(header),
    clientAddress: options.addressOf(req.socket.remoteAddress, header(FORWARDED_FOR_HEADER)),
  };
  // The key before the body: a stranger's body is never parsed.
  const admitted = await options.forwarder.admit(route.method, credentials);
  if (route.serve) {
    const message = () => requestMessage(route, params, query, undefined);
    return route.serve({ req, res, header, query, caller: admitted.caller, onQuota, message });
  }
  const body = route.body ? await readRestBody(req, options.maxBodyBytes) : undefined;
  const request = requestMessage(route, params, query, body);
  const response = await options.forwarder.forwardJson(route.method, request, {
    ...credentials,
    admitted,
    signal: () => abortOnClose(res),
  });
  return responseText(route, response);
}

/** Answers a request, errors included, and writes its access line while the request id is still in context. */
function replier(options: RestHandlerOptions, res: HttpResponse, requestId: string, verb: string, route: string) {
  const started = performance.now();
  const text = (status: number, text: Buffer | string, headers: Record<string, string> = {}) => {
    // A client that went away, or an error after an answer was sent, has nobody left to answer.
    if (res.headersSent || res.destroyed) return;
    // A known length spares HTTP/1.1 the chunked framing, and the answer goes out in one write.
    const length = String(Buffer.byteLength(text));
    res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": length, [REQUEST_ID_HEADER]: requestId });
    res.end(text);
    options.log({ verb, route, status, durationMs: elapsed(started) });
  };
  /** The access line of an answer its route wrote itself, such as a stream, once it has ended. */
  const written = (status: number) => options.log({ verb, route, status, durationMs: elapsed(started) });
  const error = (err: ConnectError) => {
    // A body still arriving after the answer (a 413 stops reading it) is the server's to settle: see unread-bodies.ts.
    text(httpStatus(err), JSON.stringify(errorBody(err, requestId)), Object.fromEntries(httpErrorHeaders(err)));
  };
  return { text, written, error };
}

function wrongVerb(verb: string, allow: string[]): ConnectError {
  return httpError(405, `${verb} is not allowed here; use ${allow.join(" or ")}`, Code.Unimplemented, { allow: allow.join(", ") });
}
