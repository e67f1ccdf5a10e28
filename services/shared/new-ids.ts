// Time-ordered ids (UUIDv7) made many times per event: their random bytes drawn 4 KiB at a time.
import { randomFillSync } from "node:crypto";
import { v7 } from "uuid";

// uuid draws 16 fresh bytes through WebCrypto on every call, about 3 µs each: several ids per delivery made it a
// twentieth of delivery's CPU. Drawn in bulk, the same randomness costs a few nanoseconds an id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function pooledRandom(): Uint8Array {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/** A new UUIDv7: ordered by the millisecond it was made in, random within it. */
export function newId(): string {
  return v7({ rng: pooledRandom });
}
