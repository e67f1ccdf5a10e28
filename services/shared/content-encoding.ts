// The content codings a request body may come in (those Connect takes, gzip and br), and their decoding, bounded by the
// body limit on the decoded size.
import { promisify } from "node:util";
import { brotliDecompress, gunzip, type ZlibOptions } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import { TooLarge } from "./domain-errors.js";

export type ContentCoding = "gzip" | "br";

/** What a 415 tells the client to send instead, in its Accept-Encoding header (RFC 9110 §12.5.3). */
export const acceptedCodings = "gzip, br";

/** A body in a coding the server does not decode: refused before a byte of it is read, never taken as it is. */
export class UnsupportedEncoding extends Error {
  override readonly name = "UnsupportedEncoding";
  constructor(readonly encoding: string) {
    super(`unsupported content-encoding "${encoding}": send the body as it is, or compressed with gzip or br`);
  }
}

/** The coding a Content-Encoding header names; undefined for none or identity. Names are case-insensitive (RFC 9110 §8.4.1). */
export function contentCoding(header: string | undefined): ContentCoding | undefined {
  const name = header?.trim().toLowerCase();
  if (!name || name === "identity") return undefined;
  if (name === "gzip" || name === "x-gzip") return "gzip";
  if (name === "br") return "br";
  // Several codings ("gzip, br") would be undone one after the other; nobody sends them, and nothing here takes them.
  throw new UnsupportedEncoding(header!);
}

const decoders: Record<ContentCoding, (bytes: Buffer, options: ZlibOptions) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  br: promisify(brotliDecompress),
};

/**
 * The body as it was before its coding. The decoded body is held to maxBytes too, and zlib stops writing past it: a
 * few KiB of zeros inflating to gigabytes (a zip bomb) is refused as too large, having cost no more than the limit.
 */
export async function decodeBody(bytes: Buffer, coding: ContentCoding | undefined, maxBytes: number): Promise<Buffer> {
  // An empty body stays empty, as Connect reads one: there is nothing to decode.
  if (!coding || bytes.length === 0) return bytes;
  try {
    return await decoders[coding](bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new TooLarge("", `the request body is larger than ${maxBytes} bytes once decoded from ${coding}`);
    }
    throw new ConnectError(`the request body is not valid ${coding}`, Code.InvalidArgument);
  }
}
