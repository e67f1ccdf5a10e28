// How far behind each durable consumer is: messages not yet delivered to it plus those delivered and not yet acknowledged.
import { connect, type NatsConnection } from "nats";
import { auditStream, consumers, deliveryOutcomesStream, eventsStream } from "../../services/shared/streams.js";

/** The durable consumers of the stack, each with its stream. */
export const watchedConsumers = [
  { stream: eventsStream.name, durable: consumers.inbox.durable_name! },
  { stream: eventsStream.name, durable: consumers.delivery.durable_name! },
  { stream: deliveryOutcomesStream.name, durable: consumers.inboxDeliveryOutcomes.durable_name! },
  { stream: auditStream.name, durable: consumers.authAudit.durable_name! },
];

/** A consumer's messages not yet delivered to it, and those delivered but not yet acknowledged. */
export interface ConsumerLag {
  pending: number;
  unacknowledged: number;
}

export interface LagReader {
  /** Each consumer's lag; undefined for one that could not be read (not made yet, or NATS slow to answer). */
  read(): Promise<Record<string, ConsumerLag | undefined>>;
  close(): Promise<void>;
}

export async function openLagReader(natsUrl: string): Promise<LagReader> {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager({ timeout: 2_000 });
  return {
    read: async () => {
      const entries = await Promise.all(
        watchedConsumers.map(async ({ stream, durable }) => {
          try {
            const info = await jsm.consumers.info(stream, durable);
            return [durable, { pending: info.num_pending, unacknowledged: info.num_ack_pending }] as const;
          } catch {
            return [durable, undefined] as const;
          }
        }),
      );
      return Object.fromEntries(entries);
    },
    close: () => nc.close(),
  };
}
