// Opaque page cursors: clients pass them back unchanged and must not depend on what is inside. A cursor names the last item of a page.
import { InvalidField } from "./domain-errors.js";
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
