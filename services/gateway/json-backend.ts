// Calls a backend's Connect JSON endpoint with JSON text, so that a REST request and its answer cross the gateway undecoded.
import http from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromString } from "../shared/connect-protocol.js";
import { FORWARDED_FOR_HEADER, REQUEST_ID_HEADER } from "../shared/request-context.js";

export interface JsonCallOptions {
  /** Sent as `Authorization: Bearer`, the one credential the backends read. */
  key: string | undefined;
  /** Sent as X-Forwarded-For, for the backend's audit log. */
  clientAddress: string;
  requestId: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Rejections: the backend's own error as a ConnectError carrying the answer's headers (so its code and message
 * can be relayed), deadline_exceeded or canceled, or the network error that kept the call from being answered.
 */
export class JsonBackend {
  // Decoding a page of events into messages and encoding it again as JSON cost more than serving it.
  readonly #agent = new http.Agent({ keepAlive: true });

  constructor(private readonly baseUrl: string) {}

  /** Resolves to the answer's JSON, as the bytes the backend sent: a page of events goes on without being decoded. */
  call(procedure: string, body: string, options: JsonCallOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "connect-protocol-version": "1",
        "connect-timeout-ms": String(options.timeoutMs),
        [FORWARDED_FOR_HEADER]: options.clientAddress,
      };
      if (options.key) headers.authorization = `Bearer ${options.key}`;
      if (options.requestId) headers[REQUEST_ID_HEADER] = options.requestId;
      const req = http.request(`${this.baseUrl}/${procedure}`, { method: "POST", headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("error", reject);
        res.once("end", () => {
          clearTimeout(timer);
          const answer = Buffer.concat(chunks);
          if (res.statusCode === 200) resolve(answer);
          else reject(backendError(res.statusCode ?? 0, res.headers, answer.toString()));
        });
      });
      const timer = setTimeout(
        () => req.destroy(new ConnectError("the backend did not answer in time", Code.DeadlineExceeded)),
        options.timeoutMs,
      );
      const cancel = () => req.destroy(new ConnectError("the client went away", Code.Canceled));
      options.signal?.addEventListener("abort", cancel, { once: true });
      req.once("close", () => options.signal?.removeEventListener("abort", cancel));
      req.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }
}

interface ErrorJson {
  code?: string;
  message?: string;
  details?: { type?: string; value?: string }[];
}

// The Connect protocol's error body: a code name, a message, and details as base64 of their binary encoding.
function backendError(status: number, headers: http.IncomingHttpHeaders, text: string): ConnectError {
  const metadata = new Headers();
  for (const [name, value] of Object.entries(headers)) if (typeof value === "string") metadata.set(name, value);
  let json: ErrorJson = {};
  try {
    json = JSON.parse(text) as ErrorJson;
  } catch {
    // Not a Connect error body: only the status is known.
  }
  const code = (json.code && codeFromString(json.code)) || Code.Unknown;
  const error = new ConnectError(json.message ?? `the backend answered HTTP ${status}`, code, metadata);
  error.details = (json.details ?? []).flatMap(({ type, value }) =>
    type && value ? [{ type, value: Buffer.from(value, "base64"), debug: undefined }] : [],
  );
  return error;
}
