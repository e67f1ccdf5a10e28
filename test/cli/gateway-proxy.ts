// A proxy in front of a stack's gateway that the test controls: it holds or drops the answers of batch publishes, to stop the CLI where the test wants.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface GatewayProxy {
  url: string;
  close(): Promise<void>;
}

/** Headers that belong to one hop, which the proxy's own request and answer set for themselves. */
const hopHeaders = new Set(["host", "connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive"]);

/**
 * Passes every request on to the gateway. After the gateway has answered the n-th batch publish (from 1),
 * `afterPublish(n)` is awaited: true passes the answer on, false drops it, and the client never hears of a batch
 * that was stored.
 */
export async function startGatewayProxy(
  gatewayUrl: string,
  afterPublish: (n: number) => Promise<boolean> | boolean,
): Promise<GatewayProxy> {
  let publishes = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.entries(req.headers).filter(([name]) => !hopHeaders.has(name)) as Array<[string, string]>;
    const answer = await fetch(`${gatewayUrl}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
    const body = Buffer.from(await answer.arrayBuffer());
    if (req.url === "/triggers.v1.IngestService/PublishEvents" && !(await afterPublish(++publishes))) return;
    res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([name]) => !hopHeaders.has(name)))).end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
