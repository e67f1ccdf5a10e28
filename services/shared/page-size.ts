// How many items a page of a listing holds: the rule every paged route applies to its request's limit.
import { InvalidField } from "./domain-errors.js";

/** The limit asked for, from 1 to the page's max; the page's default when none (0) is asked for. */
export function pageSize(limit: number, page: { default: number; max: number }): number {
  if (limit < 0 || limit > page.max) throw new InvalidField("limit", `limit must be from 1 to ${page.max}`);
  return limit || page.default;
}
