// Serves one unary method's Connect JSON requests with a handler that writes the answer's JSON itself, beside Connect.
import { create, type DescMethod, fromJson, type JsonValue, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { authorize, type Caller, type KeyVerifier, keyFromHeaders } from "./authenticate.js";
import { toConnectError } from "./errors.js";
import { abortOnClose } from "./hang-up.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { headerOf, readJsonBody } from "./request-body.js";
import { REQUEST_ID_HEADER, withRequestId } from "./request-context.js";
import type { HttpHandler } from "./server.js";

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
        const request = fromJson(route.method.input, (await readJsonBody(req, maxRequestBytes)) ?? {}, { ignoreUnknownFields: false });
        const caller = await authorize(deps.verifier, route.method, keyFromHeaders(headerOf(req)));
        reply(200, await route.answer(request as MessageShape<M["input"]>, caller, callLimits(req, res)));
        stop({ code: "ok" });
      } catch (err) {
        const error = toConnectError(isDecodeError(err) ? invalid(err) : err, deps.logger);
        reply(codeToHttpStatus(error.code), JSON.stringify(errorJson(error)));
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
function isDecodeError(err: unknown): boolean {
  return err instanceof Error && !(err instanceof ConnectError) && err.message.startsWith("cannot decode");
}

function invalid(err: unknown): ConnectError {
  return new ConnectError(`the request is not valid JSON for this method: ${(err as Error).message}`, Code.InvalidArgument);
}

// The Connect protocol's error body; details as base64 of their binary encoding.
function errorJson(error: ConnectError): JsonValue {
  const details = error.details.map((detail) =>
    "desc" in detail
      ? { type: detail.desc.typeName, value: Buffer.from(toBinary(detail.desc, create(detail.desc, detail.value))).toString("base64") }
      : { type: detail.type, value: Buffer.from(detail.value).toString("base64") },
  );
  return { code: codeToString(error.code), message: error.rawMessage, ...(details.length > 0 ? { details } : {}) };
}
