// Port helpers for the launcher: find a free TCP port and probe whether something answers on one.
import net from "node:net";

/**
 * A port nobody listens on. Another process could take it before we bind it, which is acceptable for a dev launcher
 * and test stacks.
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

// Ports are picked below the kernel's ephemeral range (Linux's 32768-60999; 49152 up on macOS and Windows), where
// every process's outgoing connections take their local ports: a port the kernel hands out as free is soon the local
// port of some connection to Postgres or NATS, and the service given it then fails with EADDRINUSE.
const pickedPorts = { min: 20_000, max: 32_767 };
const attempts = 100;

async function listening(host: string): Promise<net.Server> {
  for (let attempt = 1; ; attempt++) {
    const port = pickedPorts.min + Math.floor(Math.random() * (pickedPorts.max - pickedPorts.min + 1));
    try {
      return await listenOn(host, port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt === attempts) throw error;
    }
  }
}

function listenOn(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
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
