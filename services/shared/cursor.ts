// Opaque page cursors: clients pass them back unchanged and must not depend on what is inside. A cursor names the last item of a page.
import { InvalidField } from "./domain-errors.js";
import { isEventType } from "./event-types.js";
import { isUuid } from "./ids.js";

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString("base64url");
}

/** The id a cursor continues after; a cursor we did not make is an invalid argument. */
export function decodeCursor(cursor: string): string | undefined {
  if (!cursor) return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, "base64url").toString()) as { after?: unknown };
    if (typeof after === "string" && isUuid(after)) return after;
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw new InvalidField("cursor", "cursor is not one this API returned");
}

/** A cursor for lists ordered by event type: the type it continues after. */
export function encodeTypeCursor(lastType: string): string {
  return Buffer.from(JSON.stringify({ after_type: lastType })).toString("base64url");
}

/** The event type a cursor continues after; a cursor we did not make is an invalid argument. */
export function decodeTypeCursor(cursor: string): string | undefined {
  if (!cursor) return undefined;
  try {
    const { after_type } = JSON.parse(Buffer.from(cursor, "base64url").toString()) as { after_type?: unknown };
    if (typeof after_type === "string" && isEventType(after_type)) return after_type;
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw new InvalidField("cursor", "cursor is not one this API returned");
}

export type Direction = "asc" | "desc";

// Postgres' bigint, where sequences live.
const maxSequence = 2n ** 63n - 1n;

/** A cursor for lists ordered by a sequence number (as text, for numbers beyond JavaScript's), read in one direction. */
export function encodeSequenceCursor(after: string, direction: Direction): string {
  return Buffer.from(JSON.stringify({ after, direction })).toString("base64url");
}

/** The sequence number a cursor continues after; a cursor we did not make, or made for the other direction, is an invalid argument. */
export function decodeSequenceCursor(cursor: string, direction: Direction): string | undefined {
  if (!cursor) return undefined;
  let read: Record<string, unknown> | undefined;
  try {
    read = JSON.parse(Buffer.from(cursor, "base64url").toString()) as Record<string, unknown>;
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  if (typeof read?.after !== "string" || !/^\d{1,19}$/.test(read.after) || BigInt(read.after) > maxSequence) {
    throw new InvalidField("cursor", "cursor is not one this API returned");
  }
  if (read.direction !== direction) throw new InvalidField("cursor", "cursor was made for the other order");
  return read.after;
}
