// Connect calls whose request Connect itself could not read, answered as the client's mistake they are, not as a server's failure.
import { Code, ConnectError, type ConnectRouter, createContextKey, type Interceptor } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJson } from "./connect-protocol.js";
import { apiJson } from "./json.js";

type Handler = ConnectRouter["handlers"][number];
type HandlerResponse = Awaited<ReturnType<Handler>>;

// Set per request by the handler below, and told by the first interceptor that the call reached the method.
const progress = createContextKey({ reached: true }, { description: "whether a call reached its interceptors" });

/**
 * The first interceptor of every server: a call that gets here was read. Whatever fails from here on is ours, and an
 * unexpected failure stays a 500.
 */
export const readRequests: Interceptor = (next) => (req) => {
  req.contextValues.get(progress).reached = true;
  return next(req);
};

/**
 * connect-es reads a Connect call's body (its compression, then its bytes as the method's message) before any
 * interceptor runs, and answers what it cannot read as a failure of the server: bytes that are not the message
 * ("parse binary: premature EOF") or not valid br ("decompression failed") as internal, a 500, and a coding it does not
 * take as unimplemented, a 501 (as the Connect protocol says). A monitor counts those as the server failing, and the
 * client is told nothing it can act on. connect-go answers a message it cannot read as invalid_argument; HTTP answers
 * a coding not taken with 415 (RFC 9110 §15.5.16). So a Connect call answered 500 before it reached the interceptors
 * becomes 400 invalid_argument with Connect's reason, and a 501 becomes 415 (its code stays unimplemented, and
 * Accept-Encoding names the codings taken, as Connect writes them). gRPC and gRPC-Web calls carry their status in
 * trailers behind a 200 and stay as connect-es answers them: INTERNAL for a message that cannot be read, as grpc-go
 * and grpc-java answer too.
 */
export function answerUnreadableAsClientErrors(router: ConnectRouter): void {
  for (const [index, handler] of router.handlers.entries()) {
    const answering = async (req: Parameters<Handler>[0]): Promise<HandlerResponse> => {
      if (!req.contextValues) return handler(req);
      const marker = { reached: false };
      req.contextValues.set(progress, marker);
      let res: HandlerResponse;
      try {
        res = await handler(req);
      } catch {
        return unwritable(req);
      }
      if (marker.reached) return res;
      if (res.status === codeToHttpStatus(Code.Internal)) return unreadable(res);
      if (res.status === codeToHttpStatus(Code.Unimplemented)) return { ...res, status: 415 };
      return res;
    };
    // The handler's path, protocols and method go with it: the router finds handlers by them.
    router.handlers[index] = Object.assign(answering, handler);
  }
}

/**
 * connect-es failed to write its answer, which it would leave open for ever, the client waiting: over gRPC and
 * gRPC-Web it percent-encodes an error's reason into grpc-message, and encodeURIComponent throws on text that is not
 * well-formed UTF-16 (a JSON message "\ud800", quoted in its reason that it cannot be read). Only a message Connect
 * could not read comes to this (it refuses such a string in a field before our methods see it): answered as such,
 * trailers-only, in the headers.
 */
function unwritable(req: Parameters<Handler>[0]): HandlerResponse {
  const header = new Headers({
    "content-type": req.header.get("content-type") ?? "application/grpc",
    "grpc-status": "3",
    "grpc-message": encodeURIComponent("the request message could not be read"),
  });
  return { status: 200, header, body: oneChunk(new Uint8Array(0)) };
}

async function unreadable(res: HandlerResponse): Promise<HandlerResponse> {
  const error = new ConnectError(await reasonOf(res), Code.InvalidArgument);
  const body = new TextEncoder().encode(JSON.stringify(errorToJson(error, apiJson)));
  const header = new Headers(res.header);
  // Connect compresses an error body past its threshold; this one is written plain.
  header.delete("content-encoding");
  header.set("content-type", "application/json");
  header.set("content-length", String(body.byteLength));
  return { ...res, status: codeToHttpStatus(Code.InvalidArgument), header, body: oneChunk(body) };
}

// Connect's own reason (its error JSON's message), when its body can be read as it was written.
async function reasonOf(res: HandlerResponse): Promise<string> {
  const fallback = "the request could not be read";
  if (new Headers(res.header).has("content-encoding") || !isByteStream(res.body)) return fallback;
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  try {
    const { message } = JSON.parse(Buffer.concat(chunks).toString()) as { message?: unknown };
    return typeof message === "string" && message !== "" ? message : fallback;
  } catch {
    return fallback;
  }
}

function isByteStream(body: HandlerResponse["body"]): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
