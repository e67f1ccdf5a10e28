// Opens a client's event stream at the edge: its key admitted, a slot of the key's claimed, the inbox's stream relayed until the client goes or the gateway drains.
import { InboxService, type WatchEventsRequest, type WatchEventsResponse } from "../../../gen/triggers/v1/inbox_pb.js";
import { missingKey } from "../../shared/authenticate.js";
import { StreamEnded } from "../../shared/domain-errors.js";
import type { Credentials } from "../admission.js";
import type { Forwarder } from "../forwarder.js";
import type { StreamSlots } from "./stream-slots.js";

const method = InboxService.method.watchEvents;

export class EventStreams {
  constructor(
    private readonly forwarder: Forwarder,
    private readonly slots: StreamSlots,
    /** Aborted when the gateway begins to stop: every stream ends, telling its client to reconnect. */
    private readonly draining: AbortSignal,
  ) {}

  /**
   * Resolves once the stream is admitted, so that a refusal (a bad key, too many streams) is answered before any
   * event; the messages follow. A drain ends them with StreamEnded; the client going away, quietly.
   */
  async open(request: WatchEventsRequest, credentials: Credentials, signal: AbortSignal): Promise<AsyncGenerator<WatchEventsResponse>> {
    const admitted = await this.forwarder.admit(method, credentials);
    if (!admitted.caller) throw missingKey();
    const slot = await this.slots.claim(admitted.caller.keyId);
    // Ended here too when the reading stops early: the inbox's stream must not outlive its reader.
    const ended = new AbortController();
    const stopped = AbortSignal.any([signal, this.draining, ended.signal]);
    const { draining } = this;
    const upstream = this.forwarder.forwardStream(method, request, { ...credentials, admitted, signal: () => stopped });
    return (async function* relay() {
      try {
        yield* upstream as AsyncGenerator<WatchEventsResponse>;
      } catch (err) {
        if (draining.aborted) throw new StreamEnded("restarting");
        if (!signal.aborted) throw err;
      } finally {
        ended.abort();
        slot.release();
      }
    })();
  }
}
