// A TCP forwarder: an address of this process's that passes every connection on to a fixed target, so that processes
// in a network namespace of their own reach a server that listens on this machine's loopback only (Postgres).
import type { AddressInfo } from "node:net";
import net from "node:net";

export interface Forwarder {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function forwardTcp(host: string, target: { host: string; port: number }): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Either side failing ends both: a half-open pair would hold a pool's connection forever.
    socket.on("error", () => socket.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
