// A webhook receiver for the delivery section: notes when each event arrives, by its webhook-id.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Receiver {
  url: string;
  /** performance.now() at each event's arrival, by event id. */
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const id = req.headers["webhook-id"];
    if (typeof id === "string" && !arrivals.has(id)) arrivals.set(id, performance.now());
    req.resume();
    req.once("end", () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
