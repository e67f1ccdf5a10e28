// The write path of events, one for ingest and the gateway alike: an event is checked, charged, and answered once the stream holds it.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { NatsConnection } from "nats";
import type { EventInput } from "../../../gen/triggers/v1/event_pb.js";
import {
  EventStatus,
  type PublishEventResponse,
  PublishEventResponseSchema,
  type PublishEventsResult,
  PublishEventsResultSchema,
} from "../../../gen/triggers/v1/ingest_pb.js";
import { maxEventsPerBatch } from "../api-limits.js";
import { InvalidField } from "../domain-errors.js";
import { itemError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { PublishedEvent } from "../published-events.js";
import { acceptableRequestId, currentRequestId } from "../request-context.js";
import { ensureEventsStream, eventsStream } from "../streams.js";
import { acceptEvent } from "./event-rules.js";
import { OrgQueues } from "./org-queues.js";
import { createEventPublisher, type EventPublisher, type StoredEvent } from "./publisher.js";
import { StreamWriter } from "./stream-writer.js";

/** Spends events of the caller's org's allowance before they are written; throws when its plan allows no more now. */
export type Charge = (events: number) => Promise<void>;

/** An event of a batch, read only when its turn comes: one that cannot be read fails alone. */
export type BatchItem = () => EventInput;

export interface BatchOptions {
  /** One request id per item, or none: the events then carry the call's own. */
  requestIds?: string[];
  charge?: Charge;
}

export interface IntakeSettings {
  publishTimeoutMs: number;
  jetStreamReplicas: number;
}

export class EventIntake {
  readonly #queues: OrgQueues;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    readonly close: () => void = () => {},
  ) {
    this.#queues = new OrgQueues(publisher);
  }

  /** Writes to the events stream of nats, which it creates or updates to the declared configuration. */
  static async open(nats: NatsConnection, settings: IntakeSettings, logger: Logger): Promise<EventIntake> {
    const jsm = await nats.jetstreamManager();
    await ensureEventsStream(jsm, settings.jetStreamReplicas);
    const writer = new StreamWriter(nats, settings.publishTimeoutMs);
    const readMessage = async (seq: number) => (await jsm.streams.getMessage(eventsStream.name, { seq })).data;
    const publisher = createEventPublisher(writer, nats.info!.max_payload, readMessage);
    return new EventIntake(publisher, logger, () => writer.close());
  }

  /** One event, written with others of its org; throws what is wrong with it, or why the stream does not hold it. */
  async publishEvent(orgId: string, input: EventInput, charge?: Charge): Promise<PublishEventResponse> {
    const published = { ...acceptEvent(input), requestId: currentRequestId() ?? "" };
    await charge?.(1);
    const stored = await this.#queues.publish(orgId, published);
    this.#logAccepted(orgId, published, stored);
    return accepted(stored);
  }

  /** One result per item, in order: each is checked on its own, and those accepted are charged and written together. */
  async publishEvents(orgId: string, items: BatchItem[], { requestIds = [], charge }: BatchOptions = {}): Promise<PublishEventsResult[]> {
    checkBatch(items, requestIds);
    const callRequestId = currentRequestId() ?? "";
    const results: PublishEventsResult[] = [];
    const valid: { index: number; published: PublishedEvent }[] = [];
    for (const [index, item] of items.entries()) {
      try {
        const requestId = acceptableRequestId(requestIds[index]) ?? callRequestId;
        valid.push({ index, published: { ...acceptEvent(item(), `events[${index}].`), requestId } });
      } catch (err) {
        results[index] = this.#failed(err);
      }
    }
    if (valid.length === 0) return results;
    await charge?.(valid.length);
    const outcomes = await this.publisher.publish(
      orgId,
      valid.map(({ published }) => published),
    );
    for (const [i, { index, published }] of valid.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.status === "fulfilled") this.#logAccepted(orgId, published, outcome.value);
      results[index] = outcome.status === "fulfilled" ? succeeded(outcome.value) : this.#failed(outcome.reason);
    }
    return results;
  }

  #logAccepted(orgId: string, { requestId }: PublishedEvent, { event, duplicate }: StoredEvent): void {
    const fields = { org_id: orgId, event_id: event.id, type: event.type, request_id: requestId };
    this.logger.debug(fields, duplicate ? "event repeated; the original stands" : "event accepted");
  }

  #failed(reason: unknown): PublishEventsResult {
    return create(PublishEventsResultSchema, { result: { case: "error", value: itemError(reason, this.logger) } });
  }
}

function checkBatch(items: BatchItem[], requestIds: string[]): void {
  if (items.length === 0) throw new InvalidField("events", "events must hold at least one event");
  if (items.length > maxEventsPerBatch) throw new InvalidField("events", `events holds more than ${maxEventsPerBatch} events`);
  if (requestIds.length > 0 && requestIds.length !== items.length) {
    throw new InvalidField("request_ids", "request_ids must be empty or hold one id per event");
  }
}

function accepted({ event, duplicate }: StoredEvent): PublishEventResponse {
  const init: MessageInitShape<typeof PublishEventResponseSchema> = {
    id: event.id,
    receivedAt: event.receivedAt,
    status: EventStatus.ACCEPTED,
    duplicate,
  };
  return create(PublishEventResponseSchema, init);
}

function succeeded(stored: StoredEvent): PublishEventsResult {
  return create(PublishEventsResultSchema, { result: { case: "accepted", value: accepted(stored) } });
}
