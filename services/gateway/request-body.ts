// A REST request's body: JSON by its content type, as sent or in gzip or br, or refused as such before a byte of it is read.
import type { JsonValue } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { acceptedCodings, contentCoding, UnsupportedEncoding } from "../shared/content-encoding.js";
import { type HttpRequest, readJsonBody } from "../shared/request-body.js";
import { httpError } from "./http-errors.js";

/** The parsed body; undefined when there is none. */
export function readRestBody(req: HttpRequest, maxBytes: number): Promise<JsonValue | undefined> {
  requireJsonType(req.headers["content-type"]);
  requireKnownCoding(req.headers["content-encoding"]);
  return readJsonBody(req, maxBytes);
}

// A coding we cannot undo is refused, not read as if it were none: JSON labelled gzip is a client's mistake to hear of.
function requireKnownCoding(contentEncoding: string | undefined): void {
  try {
    contentCoding(contentEncoding);
  } catch (err) {
    if (!(err instanceof UnsupportedEncoding)) throw err;
    throw httpError(415, err.message, Code.InvalidArgument, { "accept-encoding": acceptedCodings });
  }
}

// A body without a content type is taken as JSON; one declared as anything else is refused, not guessed at.
function requireJsonType(contentType: string | undefined): void {
  if (!contentType || isJsonMediaType(contentType)) return;
  throw httpError(415, `unsupported content-type "${mediaTypeOf(contentType)}": send application/json`, Code.InvalidArgument);
}

/** application/json, or a JSON-based type such as application/cloudevents+json. */
export function isJsonMediaType(contentType: string): boolean {
  const mediaType = mediaTypeOf(contentType);
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

export function mediaTypeOf(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}
