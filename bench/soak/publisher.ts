// Publishes at a fixed rate through the gateway's REST API for the soak's length, keeping every 2xx answer's event id.
import { eventBody } from "../event-body.js";
import { pacedPosts } from "../paced-load.js";

export interface Publisher {
  /** Each accepted event's id, in the order answered. */
  accepted: string[];
  /** Non-2xx answers by status. */
  refused: Map<number, number>;
  /** Resolves once every publish is answered or has failed, with how many failed (refused or unanswered). */
  done: Promise<{ asked: number; errors: number }>;
}

// As the bench's paced loads: enough connections that the stack's answers, not the generator, set the pace.
const connections = 64;

export function startPublishing(gatewayUrl: string, key: string, rate: number, minutes: number): Publisher {
  const accepted: string[] = [];
  const refused = new Map<number, number>();
  const durationSeconds = minutes * 60;
  const done = pacedPosts({
    url: `${gatewayUrl}/v1/events`,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: eventBody,
    rate,
    durationSeconds,
    connections,
    onAnswer: (status, body) => {
      if (status >= 200 && status < 300) accepted.push((JSON.parse(body) as { id: string }).id);
      else refused.set(status, (refused.get(status) ?? 0) + 1);
    },
  }).then((result) => ({ asked: Math.round(rate * durationSeconds), errors: result.errors }));
  return { accepted, refused, done };
}
