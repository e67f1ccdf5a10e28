// Serves one unary method's Connect JSON requests with a handler that writes the answer's JSON itself, beside Connect.
import { type DescMethod, fromJson, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { authorize, type Caller, type KeyVerifier, keyFromHeaders } from "./authenticate.js";
import { codeToHttpStatus, codeToString, errorToJson } from "./connect-protocol.js";
import { acceptedCodings, UnsupportedEncoding } from "./content-encoding.js";
import { toConnectError } from "./errors.js";
import { abortOnClose } from "./hang-up.js";
import { apiJson } from "./json.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { headerOf, readJsonBody } from "./request-body.js";
import { REQUEST_ID_HEADER, withRequestId } from "./request-context.js";
import type { HttpHandler } from "./server.js";
import { requireStorableText } from "./storable-text.js";

// These methods take small requests: a page's limit and cursor.
const maxRequestBytes = 64 * 1024;

export interface JsonRoute<M extends DescMethod> {
  method: M;
  /**
   * The answer as JSON text, exactly as Connect would write the method's output (proto field names, empty
   * values present): where the answer is big, building it without messages is what the route is for.
   */
  answer(request: MessageShape<M["input"]>, caller: Caller, call: CallLimits): Promise<string>;
}

/** What bounds a call: its deadline (Connect's connect-timeout-ms), and its end when the client goes away. */
export interface CallLimits {
  timeoutMs: number | undefined;
  signal: AbortSignal;
}

export interface JsonRouteDeps {
  verifier: KeyVerifier;
  logger: Logger;
  metrics: Metrics;
}

/** The path and HTTP handler of a route; the Connect handler of the same method still serves binary, gRPC and gRPC-Web. */
export function jsonRoute<M extends DescMethod>(route: JsonRoute<M>, deps: JsonRouteDeps): [string, HttpHandler] {
  const procedure = `/${route.method.parent.typeName}/${route.method.name}`;
  const handler: HttpHandler = (req, res) =>
    withRequestId(headerOf(req)(REQUEST_ID_HEADER), async (requestId) => {
      const stop = deps.metrics.timeRpc(procedure.slice(1));
      const reply = (status: number, body: string) => {
        res.writeHead(status, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          [REQUEST_ID_HEADER]: requestId,
        });
        res.end(body);
      };
      try {
        const request = requestOf(route.method, await readJsonBody(req, maxRequestBytes));
        const caller = await authorize(deps.verifier, route.method, keyFromHeaders(headerOf(req)));
        requireStorableText(route.method.input, request);
        reply(200, await route.answer(request, caller, callLimits(req, res)));
        stop({ code: "ok" });
      } catch (err) {
        // A coding we do not take is refused as Connect refuses one (unimplemented, naming those it takes), as 415.
        if (err instanceof UnsupportedEncoding) {
          res.setHeader("accept-encoding", acceptedCodings);
          reply(415, JSON.stringify(errorToJson(new ConnectError(err.message, Code.Unimplemented), apiJson)));
          return stop({ code: codeToString(Code.Unimplemented) });
        }
        const error = toConnectError(err, deps.logger);
        reply(codeToHttpStatus(error.code), JSON.stringify(errorToJson(error, apiJson)));
        stop({ code: codeToString(error.code) });
      }
    });
  return [procedure, handler];
}

function callLimits(req: Parameters<HttpHandler>[0], res: Parameters<HttpHandler>[1]): CallLimits {
  const timeout = Number(headerOf(req)("connect-timeout-ms"));
  return { timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined, signal: abortOnClose(res) };
}

/** Whether a request is one for a JSON route: a Connect unary JSON POST. */
export function isConnectJson(req: Parameters<HttpHandler>[0]): boolean {
  return req.method === "POST" && (req.headers["content-type"] ?? "").split(";")[0]!.trim() === "application/json";
}

// fromJson says what it cannot read in a plain Error; to the caller that is an invalid argument.
function requestOf<M extends DescMethod>(method: M, body: JsonValue | undefined): MessageShape<M["input"]> {
  try {
    return fromJson(method.input, body ?? {}, { ignoreUnknownFields: false }) as MessageShape<M["input"]>;
  } catch (err) {
    throw new ConnectError(`the request is not valid JSON for this method: ${(err as Error).message}`, Code.InvalidArgument);
  }
}
