// Bounds the event streams an API key holds open across every gateway replica: each stream holds a slot, a key of a shared NATS KV bucket.
import { randomInt } from "node:crypto";
import type { KV } from "nats";
import { TooManyStreams } from "../../shared/domain-errors.js";
import type { Logger } from "../../shared/logger.js";
import { isRevisionTaken, streamSlotTtlMs } from "../../shared/streams.js";

/** A slot held by one stream; released when the stream ends. */
export interface Slot {
  release(): void;
}

interface Held {
  key: string;
  revision: number;
}

// Slots are rewritten well within their time to live, so that a slow round trip never lets one lapse.
const rewriteEveryMs = streamSlotTtlMs / 3;

/**
 * Slot n of a key is the KV key `<key id>.<n>`. Claiming creates it, which fails when it exists: two replicas
 * never hold one slot, so the bound holds however many replicas serve the key's streams.
 */
export class StreamSlots {
  readonly #held = new Set<Held>();
  readonly #rewrites: NodeJS.Timeout;

  constructor(
    private readonly kv: KV,
    private readonly perKey: number,
    private readonly logger: Logger,
  ) {
    this.#rewrites = setInterval(() => void this.#rewriteAll(), rewriteEveryMs).unref();
  }

  /**
   * Claims one of the key's slots; TooManyStreams when every one is held. The slots are tried from a random one
   * on: streams opening at once would otherwise all try slot 0, then 1, each a round trip, and n streams of one
   * key cost n²/2 writes.
   */
  async claim(keyId: string): Promise<Slot> {
    const first = randomInt(this.perKey);
    for (let i = 0; i < this.perKey; i++) {
      const key = `${keyId}.${(first + i) % this.perKey}`;
      const revision = await this.kv.create(key, new Uint8Array()).catch((err: unknown) => {
        if (isRevisionTaken(err)) return undefined;
        throw err;
      });
      if (revision === undefined) continue;
      const held = { key, revision };
      this.#held.add(held);
      return { release: () => this.#release(held) };
    }
    throw new TooManyStreams(this.perKey);
  }

  close(): void {
    clearInterval(this.#rewrites);
  }

  #release(held: Held): void {
    if (!this.#held.delete(held)) return;
    // A slot left behind expires by itself: a failed delete costs the key a slot for a minute at most.
    this.kv.delete(held.key, { previousSeq: held.revision }).catch((err: unknown) => {
      if (!isRevisionTaken(err)) this.logger.warn({ err, slot: held.key }, "stream slot not released");
    });
  }

  async #rewriteAll(): Promise<void> {
    await Promise.all(
      [...this.#held].map(async (held) => {
        try {
          held.revision = await this.kv.update(held.key, new Uint8Array(), held.revision);
        } catch (err) {
          this.logger.warn({ err, slot: held.key }, "stream slot not kept");
        }
      }),
    );
  }
}
