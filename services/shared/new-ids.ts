// Time-ordered ids (UUIDv7) made many times per event: in order, their random bytes drawn 4 KiB at a time.
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

// uuid keeps ids of one millisecond in order only when it draws the randomness itself: the order is kept here.
let lastMs = 0;
let sequence = 0;

/** A new UUIDv7, after every id this process made before it. */
export function newId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0x7fffffff) {
    // Two billion ids in a millisecond: borrow the next one, as uuid does.
    lastMs++;
    sequence = 0;
  }
  return v7({ random: pooledRandom(), msecs: lastMs, seq: sequence });
}
