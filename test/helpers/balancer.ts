// A stand-in for a Kubernetes Service on loopback: one address in front of a service's replicas, each new connection
// going to the next replica that accepts it, so that clients find the survivors when a replica dies.

import type { AddressInfo } from "node:net";
import net from "node:net";

export interface Balancer {
  url: string;
  close(): Promise<void>;
}

export async function startBalancer(ports: number[]): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const connectTo = (client: net.Socket, tries: number) => {
    if (tries === 0 || client.destroyed) return client.destroy();
    const port = ports[next++ % ports.length]!;
    const backend = net.connect(port, "127.0.0.1");
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
    connectTo(client, ports.length);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
