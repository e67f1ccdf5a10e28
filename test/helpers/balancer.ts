// A stand-in for a Kubernetes Service (on loopback unless told another address): one address in front of a service's replicas, each new connection
// going to the next ready replica that accepts it. Ready as Kubernetes' endpoints are: the replica's readiness (its
// admin port's /healthz) answered 200 at the last probe. Connections made before a replica turned unready stay.
import type { AddressInfo } from "node:net";
import net from "node:net";

export interface Balancer {
  url: string;
  close(): Promise<void>;
}

export interface Endpoint {
  /** The replica's address; 127.0.0.1 when unset. */
  host?: string;
  port: number;
  adminPort: number;
}

// How often readiness is probed: the kubelet's period is seconds, but a test has none to spare.
const probeEveryMs = 250;

/** A balancer listening on host (an address the replicas' callers reach) in front of endpoints. */
export async function startBalancer(endpoints: Endpoint[], host = "127.0.0.1"): Promise<Balancer> {
  let next = 0;
  const ready = new Set<Endpoint>();
  const probe = async (endpoint: Endpoint) => {
    const answer = await fetch(`http://${endpoint.host ?? "127.0.0.1"}:${endpoint.adminPort}/healthz`, {
      signal: AbortSignal.timeout(1_000),
    }).catch(() => undefined);
    if (answer?.ok) ready.add(endpoint);
    else ready.delete(endpoint);
  };
  const probes = setInterval(() => endpoints.forEach(probe), probeEveryMs);

  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const connectTo = (client: net.Socket, tries: number) => {
    const candidates = [...ready];
    if (tries === 0 || candidates.length === 0 || client.destroyed) return client.destroy();
    const endpoint = candidates[next++ % candidates.length]!;
    const backend = net.connect(endpoint.port, endpoint.host ?? "127.0.0.1");
    track(backend);
    // A client gone before its backend answers takes the backend with it.
    const dropBackend = () => backend.destroy();
    client.once("close", dropBackend);
    backend.once("error", () => {
      client.off("close", dropBackend);
      connectTo(client, tries - 1);
    });
    backend.once("connect", () => {
      backend.removeAllListeners("error");
      backend.on("error", () => client.destroy());
      backend.once("close", () => client.destroy());
      client.pipe(backend).pipe(client);
      client.resume();
    });
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on("error", () => client.destroy());
    connectTo(client, endpoints.length);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    async close() {
      clearInterval(probes);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
