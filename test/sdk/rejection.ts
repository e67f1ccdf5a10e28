// The TriggersError a call rejects with, for the SDK's tests to look into; anything else fails the test.
import { TriggersError } from "../../sdk/src/index.js";

export async function rejection(promise: Promise<unknown>): Promise<TriggersError> {
  const err = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(err instanceof TriggersError)) throw new Error(`expected a TriggersError, got ${String(err)}`);
  return err;
}
