// Opaque page cursors: clients pass them back unchanged and must not depend on what is inside. A cursor names the last item of a page.
import { InvalidField } from "./domain-errors.js";
import { isEventType } from "./event-types.js";
import { isUuid } from "./ids.js";

export function encodeCursor(lastId: string): string {
  return encodeAfter("after", lastId);
}

/** The id a cursor continues after; a cursor we did not make is an invalid argument. */
export function decodeCursor(cursor: string): string | undefined {
  return decodeAfter(cursor, "after", isUuid);
}

/** A cursor for lists ordered by event type: the type it continues after. */
export function encodeTypeCursor(lastType: string): string {
  return encodeAfter("after_type", lastType);
}

/** The event type a cursor continues after; a cursor we did not make is an invalid argument. */
export function decodeTypeCursor(cursor: string): string | undefined {
  return decodeAfter(cursor, "after_type", isEventType);
}

function encodeAfter(field: string, last: string): string {
  return Buffer.from(JSON.stringify({ [field]: last })).toString("base64url");
}

/** The item a cursor names in field, if it is one valid says a page can end with; none for no cursor. */
function decodeAfter(cursor: string, field: string, valid: (item: string) => boolean): string | undefined {
  if (!cursor) return undefined;
  try {
    const after = (JSON.parse(Buffer.from(cursor, "base64url").toString()) as Record<string, unknown>)[field];
    if (typeof after === "string" && valid(after)) return after;
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
