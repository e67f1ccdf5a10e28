// Postgres connections to the soak's database, each told to its service's process: every service's pool calls itself
// postgres.js, so the connection's client port is matched with the process holding that socket.
import type postgres from "postgres";
import type { PostgresReading } from "./samples.js";
import type { TcpSocket } from "./tcp-sockets.js";

export async function countConnections(
  sql: postgres.Sql,
  database: string,
  socketsByService: Map<string, Set<string>>,
  sockets: Map<string, TcpSocket>,
): Promise<PostgresReading | undefined> {
  try {
    const rows = await sql<{ client_port: number | null }[]>`
      select client_port from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
    const serviceOfPort = portsOfSockets(socketsByService, sockets);
    const byService: Record<string, number> = Object.fromEntries([...socketsByService.keys()].map((name) => [name, 0]));
    for (const { client_port: port } of rows) {
      const service = port === null ? undefined : serviceOfPort.get(port);
      if (service) byService[service]! += 1;
    }
    return { total: rows.length, byService };
  } catch {
    return undefined;
  }
}

/** The local port of each TCP socket the services hold, to the service holding it. */
function portsOfSockets(socketsByService: Map<string, Set<string>>, sockets: Map<string, TcpSocket>): Map<number, string> {
  const ports = new Map<number, string>();
  for (const [service, inodes] of socketsByService) {
    for (const inode of inodes) {
      const socket = sockets.get(inode);
      if (socket) ports.set(socket.localPort, service);
    }
  }
  return ports;
}
