// The soak's webhook endpoint: answers 500 to a share of requests at random, 204 to the rest, and records each event
// it answered 2xx by its webhook-id (the event's id), as many times as it came.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FlakyReceiverOptions {
  /** Share of requests answered 500. */
  failShare: number;
  /** Share of requests answered 2xx and not recorded: a receiver that loses deliveries, to check the soak sees it. */
  forgetShare: number;
  random: () => number;
}

export interface FlakyReceiver {
  url: string;
  /** Each event answered 2xx, with how many times. */
  deliveries: Map<string, number>;
  /** Running totals: requests answered 2xx (and recorded), answered 500, answered 2xx and forgotten. */
  counts: { delivered: number; failed: number; forgotten: number };
  close(): Promise<void>;
}

export async function startFlakyReceiver(options: FlakyReceiverOptions): Promise<FlakyReceiver> {
  const deliveries = new Map<string, number>();
  const counts = { delivered: 0, failed: 0, forgotten: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => {
      const draw = options.random();
      if (draw < options.failShare) {
        counts.failed++;
        res.statusCode = 500;
        return res.end();
      }
      res.statusCode = 204;
      res.end();
      if (draw < options.failShare + options.forgetShare) {
        counts.forgotten++;
        return;
      }
      const id = eventIdOf(req.headers, Buffer.concat(chunks).toString());
      counts.delivered++;
      if (id) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    counts,
    close: () => {
      server.closeAllConnections();
      // A second close finds the server stopped, and its callback says so: either way it is closed.
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The webhook-id header, or the id in the body when a request has none. */
function eventIdOf(headers: http.IncomingHttpHeaders, body: string): string | undefined {
  const header = headers["webhook-id"];
  if (typeof header === "string") return header;
  try {
    return (JSON.parse(body) as { id?: string }).id;
  } catch {
    return undefined;
  }
}
