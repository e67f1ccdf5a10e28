// A client's event stream at the edge: its key admitted, a slot of the key's held, and the inbox read from the stream's cursor each time the org's events arrive.
import { setTimeout as sleep } from "node:timers/promises";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { InboxService, type WatchEventsRequest, type WatchEventsResponse } from "../../../gen/triggers/v1/inbox_pb.js";
import type { Arrivals } from "../../shared/arrivals.js";
import { missingKey } from "../../shared/authenticate.js";
import { StreamEnded } from "../../shared/domain-errors.js";
import type { Credentials } from "../admission.js";
import type { Admitted, Forwarder } from "../forwarder.js";
import type { StreamSlots } from "./stream-slots.js";

const method = InboxService.method.watchEvents;

// How long a stream waits before reading again when the inbox could not be read.
const readRetryMs = 1_000;

/**
 * While a stream is idle it holds no call to the inbox: it waits here for its org's arrivals, announced over NATS,
 * then reads what came with a catch-up stream from its cursor (each event with its own), and waits again. An idle
 * stream thus costs the gateway its socket and a little memory, and the inbox nothing.
 */
export class EventStreams {
  constructor(
    private readonly forwarder: Forwarder,
    private readonly slots: StreamSlots,
    private readonly arrivals: Pick<Arrivals, "watch">,
    /** Aborted when the gateway begins to stop: every stream ends, telling its client to reconnect. */
    private readonly draining: AbortSignal,
  ) {}

  /**
   * Resolves once the stream is admitted, so that a refusal (a bad key, too many streams) is answered before any
   * event; the messages follow, the opening one first. A drain ends them with StreamEnded; the client going away,
   * quietly.
   */
  async open(request: WatchEventsRequest, credentials: Credentials, signal: AbortSignal): Promise<AsyncGenerator<WatchEventsResponse>> {
    const admitted = await this.forwarder.admit(method, credentials);
    if (!admitted.caller) throw missingKey();
    const slot = await this.slots.claim(admitted.caller.keyId);
    // Watching begins before the first reading: an event stored in between still wakes the stream.
    const arrived = this.arrivals.watch(admitted.caller.orgId);
    // Aborted when the client goes, the gateway drains or the stream ends: linked by hand, as AbortSignal.any keeps
    // weak references and a registry entry for each stream, which a thousand idle streams pay for in GC.
    const ended = new AbortController();
    const stopped = ended.signal;
    const stop = () => ended.abort();
    signal.addEventListener("abort", stop, { once: true });
    this.draining.addEventListener("abort", stop, { once: true });
    if (signal.aborted || this.draining.aborted) stop();
    const reads = this.#reads(request, { ...credentials, admitted }, stopped);
    const { draining } = this;
    return (async function* relay() {
      try {
        for (;;) {
          try {
            yield* reads.next();
          } catch (err) {
            // An inbox restarting or out of reach: the client stays connected, and the read is made again.
            if (!reads.opened() || ConnectError.from(err).code !== Code.Unavailable || stopped.aborted) throw err;
            await sleep(readRetryMs, undefined, { signal: stopped }).catch(() => undefined);
            continue;
          }
          if (request.untilCaughtUp || reads.untilPassed()) return;
          await arrived.next(reads.untilMs(), stopped);
          if (draining.aborted) throw new StreamEnded("restarting");
          if (signal.aborted) return;
        }
      } catch (err) {
        if (draining.aborted) throw new StreamEnded("restarting");
        if (!signal.aborted) throw err;
      } finally {
        stop();
        signal.removeEventListener("abort", stop);
        draining.removeEventListener("abort", stop);
        arrived.close();
        slot.release();
      }
    })();
  }

  /** The stream's catch-up reads, each from where the one before left off; only the first one's opening is sent on. */
  #reads(request: WatchEventsRequest, credentials: Credentials & { admitted: Admitted }, stopped: AbortSignal) {
    const { forwarder } = this;
    let cursor = request.cursor;
    let opened = false;
    const until = request.until && timestampDate(request.until).getTime();
    return {
      async *next(): AsyncGenerator<WatchEventsResponse> {
        const read = { ...request, cursor, since: cursor ? undefined : request.since, untilCaughtUp: true };
        const messages = forwarder.forwardStream(method, read, { ...credentials, signal: () => stopped });
        for await (const message of messages as AsyncGenerator<WatchEventsResponse>) {
          // A read from now starts after the latest event: its opening cursor is where the stream is.
          if (message.cursor) cursor = message.cursor;
          if (message.event || !opened) yield message;
          opened = true;
        }
      },
      opened: () => opened,
      untilPassed: () => until !== undefined && Date.now() >= until,
      untilMs: () => (until === undefined ? Number.POSITIVE_INFINITY : until - Date.now()),
    };
  }
}
