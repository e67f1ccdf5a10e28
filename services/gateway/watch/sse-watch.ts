// GET /v1/events/stream: an event stream as Server-Sent Events, each event's id its cursor, resumed from Last-Event-ID, kept alive by heartbeats.
import { type DescMethod, toJsonString } from "@bufbuild/protobuf";
import { EventSchema } from "../../../gen/triggers/v1/event_pb.js";
import { InboxService, type WatchEventsRequest } from "../../../gen/triggers/v1/inbox_pb.js";
import { keyFromHeaders } from "../../shared/authenticate.js";
import { codeToString } from "../../shared/connect-protocol.js";
import { StreamEnded } from "../../shared/domain-errors.js";
import { toConnectError } from "../../shared/errors.js";
import { abortOnClose } from "../../shared/hang-up.js";
import { apiJson } from "../../shared/json.js";
import type { Logger } from "../../shared/logger.js";
import { currentRequestId, FORWARDED_FOR_HEADER, REQUEST_ID_HEADER } from "../../shared/request-context.js";
import type { AddressOf } from "../client-address.js";
import type { RestCall, RouteServer } from "../rest-routes.js";
import type { EventStreams } from "./event-streams.js";

export interface SseWatchOptions {
  streams: EventStreams;
  addressOf: AddressOf;
  /** An idle stream sends a comment this often, so that proxies do not cut it. */
  heartbeatMs: number;
  /** A write the client has not taken within this long ends the stream: the gateway holds no backlog. */
  slowReaderMs: number;
  logger: Logger;
}

// How long EventSource clients wait before reconnecting, told at the start of every stream.
const reconnectAfterMs = 1_000;

/** The server of GET /v1/events/stream, by the method whose http rule declares it. */
export function sseWatch(options: SseWatchOptions): ReadonlyMap<DescMethod, RouteServer> {
  const heartbeats = new Heartbeats(options.heartbeatMs);
  return new Map<DescMethod, RouteServer>([[InboxService.method.watchEvents, (call) => streamEvents(options, heartbeats, call)]]);
}

/** One timer for every open stream, rather than one each: a thousand idle streams are a thousand timers less. */
class Heartbeats {
  readonly #writers = new Set<SseWriter>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly everyMs: number) {}

  add(writer: SseWriter): void {
    this.#writers.add(writer);
    this.#timer ??= setInterval(() => {
      for (const each of this.#writers) each.comment("heartbeat");
    }, this.everyMs).unref();
  }

  delete(writer: SseWriter): void {
    this.#writers.delete(writer);
    if (this.#writers.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

async function streamEvents(options: SseWatchOptions, heartbeats: Heartbeats, call: RestCall): Promise<undefined> {
  const request = call.message() as WatchEventsRequest;
  // EventSource sends the id of the last event it got when it reconnects: that is where the stream goes on.
  const lastEventId = call.header("last-event-id");
  if (lastEventId) request.cursor = lastEventId;
  const credentials = {
    key: keyFromHeaders(call.header),
    clientAddress: options.addressOf(call.req.socket.remoteAddress, call.header(FORWARDED_FOR_HEADER)),
  };
  const closed = abortOnClose(call.res);
  const messages = await options.streams.open(request, credentials, closed);
  // The opening message comes at once, or the inbox's refusal of the request: either is known before the answer.
  const opening = await messages.next();
  let cursor = opening.done ? request.cursor : opening.value.cursor;
  const out = new SseWriter(call.res, options.slowReaderMs);
  out.start(cursor);
  heartbeats.add(out);
  try {
    for await (const { event, cursor: next } of messages) {
      cursor = next;
      if (!(await out.event(next, toJsonString(EventSchema, event!, apiJson)))) {
        endEarly(options.logger, out, "slow_reader", cursor);
        return undefined;
      }
    }
    out.end("end", { cursor });
  } catch (err) {
    endEarly(options.logger, out, reasonOf(err, options.logger), cursor);
  } finally {
    heartbeats.delete(out);
  }
  return undefined;
}

function endEarly(logger: Logger, out: SseWriter, reason: string, cursor: string): void {
  logger.info({ reason }, "event stream ended early");
  out.end("reconnect", { reason, cursor });
}

/** Why a stream ended early: a StreamEnded's reason, or the error's code. An inbox restart ends no stream: its read is made again. */
function reasonOf(err: unknown, logger: Logger): string {
  return err instanceof StreamEnded ? err.why : codeToString(toConnectError(err, logger).code);
}

type HttpResponse = RestCall["res"];

/** Writes Server-Sent Events, waiting for the client to take each before the next. */
class SseWriter {
  constructor(
    private readonly res: HttpResponse,
    private readonly slowReaderMs: number,
  ) {}

  /** Answers, and sets the client's last event id to where the stream starts: a reconnect before any event misses none. */
  start(cursor: string): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      // nginx buffers proxied answers unless told not to: events would arrive in bursts, or not at all.
      "x-accel-buffering": "no",
      [REQUEST_ID_HEADER]: currentRequestId(),
    });
    // A "ready" event, not an id alone: clients other than browsers' may keep an id only with an event's data.
    const id = cursor ? `id: ${cursor}\n` : "";
    this.res.write(`retry: ${reconnectAfterMs}\n${id}event: ready\ndata: ${JSON.stringify({ cursor })}\n\n`);
  }

  comment(text: string): void {
    if (!this.res.destroyed) this.res.write(`: ${text}\n\n`);
  }

  /**
   * Writes an event; false when the client did not take it within the slow reader's limit. A client gone has
   * nothing left to take: its stream ends as the inbox's does, aborted with it.
   */
  async event(id: string, data: string): Promise<boolean> {
    if (this.res.destroyed || this.res.write(`id: ${id}\ndata: ${data}\n\n`)) return true;
    return new Promise((resolve) => {
      const done = (taken: boolean) => {
        clearTimeout(timer);
        this.res.off("drain", onDrain);
        this.res.off("close", onDrain);
        resolve(taken);
      };
      const onDrain = () => done(true);
      const timer = setTimeout(() => done(false), this.slowReaderMs);
      this.res.once("drain", onDrain);
      this.res.once("close", onDrain);
    });
  }

  /**
   * Ends the stream with a last event: "end" when it is over (its until has passed), "reconnect" when the client
   * should go on from the cursor, as EventSource does by itself.
   */
  end(type: "end" | "reconnect", data: { reason?: string; cursor: string }): void {
    if (this.res.destroyed) return;
    this.res.end(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    // A client that takes nothing would hold the socket: it gets what it was sent for as long as a write may take.
    const cut = setTimeout(() => this.res.destroy(), this.slowReaderMs).unref();
    this.res.once("finish", () => clearTimeout(cut));
  }
}
