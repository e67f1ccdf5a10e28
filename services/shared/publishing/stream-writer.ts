// Writes messages to JetStream with every acknowledgement pipelined through one reply subscription.
import { createInbox, ErrorCode, type MsgHdrs, type NatsConnection, NatsError, type Subscription } from "nats";

/** What JetStream answered for a stored message. */
export interface StreamAck {
  stream: string;
  seq: number;
  /** The message id was seen within the stream's duplicate window: nothing new was stored. */
  duplicate: boolean;
}

/**
 * Why a write was not acknowledged, as a NatsError so that whatever reads NATS failures reads these too:
 * Timeout (no answer in time) and NoResponders (no stream, or JetStream unavailable) mean the write may
 * succeed on retry; ApiError means the stream refused it.
 */
export class StreamWriteError extends NatsError {
  constructor(code: ErrorCode.Timeout | ErrorCode.NoResponders | ErrorCode.ApiError, message: string) {
    super(message, code);
    this.name = "StreamWriteError";
  }
}

interface Waiting {
  deadline: number;
  resolve(ack: StreamAck): void;
  reject(err: StreamWriteError): void;
}

interface AckBody {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; description?: string };
}

/**
 * nats.js's `js.publish` costs a request object, a timer and several stack-captured errors per message, which
 * made it the most expensive step of accepting an event. Here a write is one core publish with a reply
 * subject under a single wildcard subscription, acks are matched by their reply token, and one sweep
 * times out every write that waited too long.
 */
export class StreamWriter {
  readonly #waiting = new Map<string, Waiting>();
  readonly #prefix = createInbox();
  readonly #replies: Subscription;
  readonly #sweep: NodeJS.Timeout;
  #next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.#replies = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        this.#settle(msg.subject.slice(this.#prefix.length + 1), msg.headers, msg.data);
      },
    });
    this.#sweep = setInterval(() => this.#expire(), Math.min(100, timeoutMs)).unref();
  }

  /** Resolves once JetStream has stored the message (or already had its Nats-Msg-Id, when headers carry one). */
  write(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<StreamAck> {
    const token = (this.#next++).toString(36);
    return new Promise((resolve, reject) => {
      this.#waiting.set(token, { deadline: performance.now() + this.timeoutMs, resolve, reject });
      try {
        this.nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, headers });
      } catch (err) {
        this.#waiting.delete(token);
        reject(err);
      }
    });
  }

  /** Stops listening for acks; writes still waiting fail as timed out. */
  close(): void {
    clearInterval(this.#sweep);
    this.#replies.unsubscribe();
    for (const waiting of this.#waiting.values())
      waiting.reject(new StreamWriteError(ErrorCode.Timeout, "the writer closed before JetStream answered"));
    this.#waiting.clear();
  }

  #settle(token: string, headers: MsgHdrs | undefined, data: Uint8Array): void {
    const waiting = this.#waiting.get(token);
    if (!waiting) return;
    this.#waiting.delete(token);
    const answer = readAnswer(headers, data);
    if (answer instanceof StreamWriteError) waiting.reject(answer);
    else waiting.resolve(answer);
  }

  // Writes wait in the order they were made, all with the same timeout: the expired ones come first.
  #expire(): void {
    const now = performance.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadline > now) break;
      this.#waiting.delete(token);
      waiting.reject(new StreamWriteError(ErrorCode.Timeout, `JetStream did not answer within ${this.timeoutMs} ms`));
    }
  }
}

/** JetStream's answer to a write: its ack, or why the message was not stored. */
function readAnswer(headers: MsgHdrs | undefined, data: Uint8Array): StreamAck | StreamWriteError {
  // A status-only reply: no stream listens on the subject (503 "no responders"), or the server refused.
  if (headers?.hasError) return new StreamWriteError(headers.code === 503 ? ErrorCode.NoResponders : ErrorCode.ApiError, headers.status);
  const body = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString()) as AckBody;
  if (body.error) {
    const code = body.error.code === 503 ? ErrorCode.NoResponders : ErrorCode.ApiError;
    return new StreamWriteError(code, body.error.description ?? "JetStream refused the message");
  }
  if (!body.stream || typeof body.seq !== "number") return new StreamWriteError(ErrorCode.ApiError, "JetStream's answer is not an ack");
  return { stream: body.stream, seq: body.seq, duplicate: body.duplicate === true };
}
