// A three-node NATS JetStream cluster on loopback (or where a placement puts each node), as the prod overlay runs one.
import { connect } from "nats";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";
import { loopback, type Placement } from "../../tools/stack/placement.js";
import { freePorts } from "../../tools/stack/ports.js";
import { eventually } from "./eventually.js";

export interface NatsCluster {
  /** Each node's client URL. */
  urls: string[];
  /** Each node's monitoring URL (/connz, /healthz), when asked for. */
  monitorUrls?: string[];
  nodes: NatsServer[];
  /** Stops every node still running and removes their stores. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  size?: number;
  onLine?: (line: string) => void;
  /** Where node i runs (a network namespace of its own, say); every node on loopback when unset. */
  placement?: (node: number) => Placement;
  /** Serve each node's monitoring endpoints, whose /connz tells which clients a node holds. */
  monitor?: boolean;
}

export async function startNatsCluster({
  size = 3,
  onLine,
  placement = () => loopback,
  monitor = false,
}: NatsClusterOptions = {}): Promise<NatsCluster> {
  const ports = await freePorts(size * 2);
  const routePorts = ports.slice(0, size);
  const monitorPorts = monitor ? ports.slice(size) : undefined;
  const routes = routePorts.map((port, i) => `nats://${placement(i).host}:${port}`);
  const nodes = await Promise.all(
    routePorts.map((routePort, i) =>
      startNatsServer({
        onLine,
        placement: placement(i),
        monitorPort: monitorPorts?.[i],
        cluster: { serverName: `n${i}`, clusterName: "triggers", routePort, routes },
      }),
    ),
  );
  const urls = nodes.map((node) => node.url);
  const monitorUrls = monitorPorts?.map((port, i) => `http://${placement(i).host}:${port}`);
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    await jetStreamReady(urls);
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls, monitorUrls, nodes, stop };
}

// The nodes accept clients before they have elected JetStream's meta leader: until then JetStream calls fail.
async function jetStreamReady(urls: string[]): Promise<void> {
  const nc = await connect({ servers: urls });
  try {
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    await eventually(
      () =>
        jsm.getAccountInfo().then(
          () => true,
          () => undefined,
        ),
      "the JetStream cluster to elect a leader",
    );
  } finally {
    await nc.close();
  }
}
