// events: publishing one event or a batch, reading one with its history, deleting one.
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { EventInputSchema } from "../../../gen/triggers/v1/event_pb.js";
import { type GetEventResponse, InboxService } from "../../../gen/triggers/v1/inbox_pb.js";
import { IngestService, type PublishEventResponse, type PublishEventsResponse } from "../../../gen/triggers/v1/ingest_pb.js";
import type { Caller } from "../caller.js";
import { newIdempotencyKey } from "../idempotency-key.js";
import type { RequestOptions } from "../options.js";
import { type Time, toTimestamp } from "../time.js";
import { type WatchedEvent, type WatchOptions, type WatchQuery, watchEvents } from "../watch-events.js";

/** An event to publish. */
export interface EventInit {
  /** What happened, such as "order.created": 1 to 128 letters, digits, `.`, `_`, `:` or `-`. */
  type: string;
  /** Who says it happened: a URI or any name, up to 1024 characters. */
  source?: string;
  /** The payload: a JSON object of at most 256 KiB. */
  data?: JsonObject;
  /** When it happened; when it was received, if not given. */
  occurredAt?: Time;
  /**
   * Publishing again with the same key within 24 hours stores nothing new and answers the first event, marked
   * `duplicate`. The client makes one up when none is given, so that its own retries never store an event twice;
   * give your own (an order's id) to make your retries safe too.
   */
  idempotencyKey?: string;
}

export class Events {
  readonly #ingest: Client<typeof IngestService>;
  readonly #inbox: Client<typeof InboxService>;

  constructor(private readonly caller: Caller) {
    this.#ingest = caller.client(IngestService);
    this.#inbox = caller.client(InboxService);
  }

  /** Publishes one event; the answer means it is stored durably. `duplicate` says its key was used before. */
  publish(event: EventInit, options?: RequestOptions): Promise<PublishEventResponse> {
    const request = { event: input(event, "") };
    return this.caller.call((call) => this.#ingest.publishEvent(request, call), { safeToRepeat: true }, options);
  }

  /**
   * Publishes up to 1000 events in one call. Each is accepted or refused on its own: `results` holds one per
   * event, in order, `accepted` or `error` (with the field at fault, such as `events[1].type`).
   */
  publishBatch(events: EventInit[], options?: RequestOptions): Promise<PublishEventsResponse> {
    const request = { events: events.map((event, index) => input(event, `events[${index}].`)) };
    return this.caller.call((call) => this.#ingest.publishEvents(request, call), { safeToRepeat: true }, options);
  }

  /** One event, pending or acknowledged, with its history and how many delivery attempts it has had. */
  get(id: string, options?: RequestOptions): Promise<GetEventResponse> {
    return this.caller.call((call) => this.#inbox.getEvent({ id }, call), { safeToRepeat: true }, options);
  }

  /**
   * The org's events as they arrive, oldest first, each with its cursor: from now, from `since`, or after a
   * `cursor`. The stream is opened again from the last cursor whenever it breaks (the server restarting, the
   * network), so nothing is missed or repeated; the iteration ends when `until` has passed, when `signal` aborts
   * (cleanly, without an error), or with a TriggersError the stream cannot get past (a refused key, a bad filter).
   */
  watch(query: WatchQuery = {}, options: WatchOptions = {}): AsyncGenerator<WatchedEvent, void, undefined> {
    return watchEvents(this.caller, this.#inbox, query, options);
  }

  /** Takes an event out of the inbox for good and cancels its pending deliveries (admin scope). */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.caller.call((call) => this.#inbox.deleteEvent({ id }, call), { safeToRepeat: true, deletes: true }, options);
  }
}

function input(event: EventInit, prefix: string): MessageInitShape<typeof EventInputSchema> {
  return {
    type: event.type,
    source: event.source ?? "",
    data: event.data,
    occurredAt: toTimestamp(event.occurredAt, `${prefix}occurredAt`),
    idempotencyKey: event.idempotencyKey ?? newIdempotencyKey(),
  };
}
