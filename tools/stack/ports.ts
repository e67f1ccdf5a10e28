// Port helpers for the launcher: find a free TCP port and probe whether something answers on one.
import net from "node:net";

/**
 * Asks the kernel for a port nobody listens on. Another process could take it
 * before we bind it, which is acceptable for a dev launcher and test stacks.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}

/**
 * Several free ports, all different: each is held until all are picked, since a port released early can be the
 * kernel's next answer, and two services given one port leave one of them answering for both.
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listening(host));
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function listening(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => resolve(server));
  });
}

/** True when a TCP connection to host:port succeeds within timeoutMs. */
export async function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
