// Reads an HTTP request: its headers by name, and its JSON body, decoded from gzip or br, refusing one that is too large before reading it all.
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { contentCoding, decodeBody } from "./content-encoding.js";
import { TooLarge } from "./domain-errors.js";
import { strictUtf8 } from "./json.js";
import type { HttpHandler } from "./server.js";

export type HttpRequest = Parameters<HttpHandler>[0];

/** A request header's value by its lower-case name; the first, when it was sent more than once. */
export type Header = (name: string) => string | undefined;

export function headerOf(req: HttpRequest): Header {
  return (name) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}

/**
 * The parsed body; undefined when there is none. A gzip or br body is decoded first; the limit holds for the body as
 * sent and once decoded. A coding not taken is refused as UnsupportedEncoding before a byte is read.
 */
export async function readJsonBody(req: HttpRequest, maxBytes: number): Promise<JsonValue | undefined> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) throw bodyTooLarge(maxBytes);
  const coding = contentCoding(headerOf(req)("content-encoding"));
  const text = utf8(await decodeBody(await readBytes(req, maxBytes), coding, maxBytes));
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new ConnectError(`the request body is not valid JSON: ${(err as Error).message}`, Code.InvalidArgument);
  }
}

function utf8(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ConnectError("the request body is not valid UTF-8", Code.InvalidArgument);
  }
}

// Events rather than for-await: leaving a for-await loop early would destroy the request, and its connection with it.
function readBytes(req: HttpRequest, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= maxBytes) return;
      // Stop keeping it: what is still to come is thrown away after the answer (see unread-bodies.ts).
      req.off("data", onData);
      req.pause();
      reject(bodyTooLarge(maxBytes));
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    // Node reports a client hanging up mid-body as ECONNRESET, the code of a dependency out of reach: said as it is.
    req.once("error", () => reject(new ConnectError("the client went away before its request body had arrived", Code.Canceled)));
  });
}

function bodyTooLarge(maxBytes: number): TooLarge {
  return new TooLarge("", `the request body is larger than ${maxBytes} bytes`);
}
