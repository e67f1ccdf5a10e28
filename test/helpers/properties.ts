// Property-based tests of input boundaries: how many inputs each property tries, and what every boundary promises,
// that an input it cannot take is refused with one of the project's typed errors, never with a TypeError or a crash.
import { type DomainError, isDomainError } from "../../services/shared/domain-errors.js";

/**
 * Enough inputs to reach the corners of each boundary, few enough to keep a file near a second. The seed is
 * fast-check's own, random each run and printed with the counterexample when a property fails.
 */
export const runs = { numRuns: 1000 } as const;

export type Outcome<T, E> = { value: T; refused?: undefined } | { refused: E };

type Refusal<E> = (err: unknown) => err is E;

/** What fn returned, or the typed error it refused its input with; any other error is thrown on, failing the property. */
export function outcomeOf<T, E = DomainError>(fn: () => T, isRefusal: Refusal<E> = isDomainError as Refusal<E>): Outcome<T, E> {
  try {
    return { value: fn() };
  } catch (err) {
    if (isRefusal(err)) return { refused: err };
    throw err;
  }
}

/** outcomeOf for what settles later. */
export async function settledOutcomeOf<T, E = DomainError>(
  fn: () => Promise<T>,
  isRefusal: Refusal<E> = isDomainError as Refusal<E>,
): Promise<Outcome<T, E>> {
  try {
    return { value: await fn() };
  } catch (err) {
    if (isRefusal(err)) return { refused: err };
    throw err;
  }
}
