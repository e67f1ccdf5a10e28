// The soak's reading of TCP sockets from /proc: a process's accepted connections are told from the ones it opened.
import { readdir, readlink } from "node:fs/promises";
import net from "node:net";
import test from "ava";
import { acceptedConnections, tcpSockets } from "../../bench/soak/tcp-sockets.js";

async function ownSocketInodes(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir("/proc/self/fd")) {
    const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/self/fd/${fd}`).catch(() => ""))?.[1];
    if (inode) inodes.add(inode);
  }
  return inodes;
}

test("tcp sockets - connections others opened to a listening port count as accepted; those it opened itself do not", async (t) => {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const before = acceptedConnections(await ownSocketInodes(), await tcpSockets());
  // This process holds both ends: three it opened, three its server accepted.
  const clients = await Promise.all(
    Array.from(
      { length: 3 },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(accepted.length, 3);
  t.is(acceptedConnections(await ownSocketInodes(), await tcpSockets()) - before, 3);
  for (const socket of [...clients, ...accepted]) socket.destroy();
  server.close();
});
