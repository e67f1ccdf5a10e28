// The machine's TCP sockets from /proc/net/tcp and tcp6, by inode: how the soak tells whose a connection is.
import { readFile } from "node:fs/promises";

export interface TcpSocket {
  localPort: number;
  listening: boolean;
}

// The kernel's state code for a listening socket (TCP_LISTEN), as /proc/net/tcp writes it.
const listenState = "0A";

export async function tcpSockets(): Promise<Map<string, TcpSocket>> {
  const sockets = new Map<string, TcpSocket>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const port = fields[1]?.split(":")[1];
      if (fields[9] && port) sockets.set(fields[9], { localPort: Number.parseInt(port, 16), listening: fields[3] === listenState });
    }
  }
  return sockets;
}

/**
 * How many of a process's sockets are connections others opened to it: on a port it listens on. Clients decide how
 * many of those there are (a load holds more connections after a slow moment), so a leak is judged without them.
 */
export function acceptedConnections(inodes: Set<string>, sockets: Map<string, TcpSocket>): number {
  const mine = [...inodes].flatMap((inode) => sockets.get(inode) ?? []);
  const listening = new Set(mine.filter((socket) => socket.listening).map((socket) => socket.localPort));
  return mine.filter((socket) => !socket.listening && listening.has(socket.localPort)).length;
}
