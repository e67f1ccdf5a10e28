// Competing inbox consumers, as an org's workers run them: each lists a page of pending events with a lease (waiting
// for events when there are none), acknowledges the page, and lists again; an error is waited out and tried again.

export interface InboxWorkers {
  /** Running totals over every worker. */
  counts: { listed: number; acked: number; alreadyAcked: number; errors: number };
  /** Stops listing and resolves once every worker's request in flight is done. */
  stop(): Promise<void>;
}

const pageSize = 100;
const leaseSeconds = 30;
// A long-poll shorter than the lease, so that a worker never holds a lease past its own wait.
const waitSeconds = 5;
const retryMs = 1_000;

export function startInboxWorkers(gatewayUrl: string, key: string, workers: number): InboxWorkers {
  const counts = { listed: 0, acked: 0, alreadyAcked: 0, errors: 0 };
  const stopping = new AbortController();
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };

  const work = async () => {
    while (!stopping.signal.aborted) {
      try {
        const page = await fetch(`${gatewayUrl}/v1/inbox?limit=${pageSize}&lease=${leaseSeconds}&wait=${waitSeconds}`, {
          headers,
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout((waitSeconds + 10) * 1000)]),
        });
        if (!page.ok) {
          await page.body?.cancel();
          throw new Error(`listing answered ${page.status}`);
        }
        const ids = ((await page.json()) as { events?: { id: string }[] }).events?.map((event) => event.id) ?? [];
        counts.listed += ids.length;
        if (ids.length === 0) continue;
        const ack = await fetch(`${gatewayUrl}/v1/inbox/ack`, {
          method: "POST",
          headers,
          body: JSON.stringify({ ids }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!ack.ok) {
          await ack.body?.cancel();
          throw new Error(`acknowledging answered ${ack.status}`);
        }
        const acked = (await ack.json()) as { acked?: number; already_acked?: number };
        counts.acked += acked.acked ?? 0;
        counts.alreadyAcked += acked.already_acked ?? 0;
      } catch {
        if (stopping.signal.aborted) return;
        // A gateway or inbox restarting: its leased events come back once their lease ends.
        counts.errors++;
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  };

  const running = Array.from({ length: workers }, work);
  return {
    counts,
    stop: async () => {
      stopping.abort();
      await Promise.all(running);
    },
  };
}
