// Ids in requests: every resource id of the API is a UUID, and a malformed one is the caller's error, not the database's.
import { InvalidField } from "./domain-errors.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Returns the id in its canonical lower case, or throws invalid_argument naming the field. */
export function requireUuid(value: string, field: string): string {
  if (!value) throw new InvalidField(field, `${field} is required`);
  if (!isUuid(value)) throw new InvalidField(field, `${field} is not a valid id`);
  return value.toLowerCase();
}
