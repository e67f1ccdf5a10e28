// Event streams held open and idle beside a measurement, to show what they cost the stack: an org of their own, to which nothing is published.
import http from "node:http";
import { setTimeout } from "node:timers/promises";
import { createOrg } from "../tools/stack/gateway-client.js";

export interface IdleStreams {
  /** How many the build opened: 0 for a build without event streams. */
  open: number;
  close(): void;
}

const settleMs = 5_000;

/** The bound on one key's streams the bench's stack is started with, so that one org can hold them all. */
export const idleStreamsPerKey = 10_000;

export async function openIdleStreams(gatewayUrl: string, adminToken: string, count: number): Promise<IdleStreams> {
  if (count === 0) return { open: 0, close: () => {} };
  const { key } = await createOrg(gatewayUrl, adminToken, "idle-streams", { plan: "custom", events_per_minute: 1_000 });
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const opened = await Promise.all(Array.from({ length: count }, () => openOne(`${gatewayUrl}/v1/events/stream`, key, agent)));
  const requests = opened.filter((req) => req !== undefined);
  // Idle means open and quiet: the opening burst (a slot and an inbox stream each, and their garbage) is over first.
  await setTimeout(settleMs);
  return {
    open: requests.length,
    close: () => {
      for (const req of requests) req.destroy();
      agent.destroy();
    },
  };
}

/** The stream's request once it answered 200 (its answer then drained as it comes), undefined for any other answer. */
function openOne(url: string, key: string, agent: http.Agent): Promise<http.ClientRequest | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? req : undefined);
      if (res.statusCode !== 200) req.destroy();
    });
    req.on("error", reject);
  });
}
