// What tail and listen say when their stream broke and is opened again, so that a quiet terminal is not mistaken for a dead one.
import type { TriggersError } from "../../sdk/src/index.js";

export function reconnectNotice({ error, delayMs }: { error: TriggersError; delayMs: number }): string {
  const why = error.status === undefined ? `no answer (${error.message})` : error.message;
  return `the stream ended: ${why}; opening it again in ${(delayMs / 1000).toFixed(1)} s, from the last event received`;
}
