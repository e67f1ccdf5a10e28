// A three-node NATS JetStream cluster on loopback, as the prod overlay runs one: for tests that kill a node under load.
import { connect } from "nats";
import { type NatsServer, startNatsServer } from "../../tools/stack/nats.js";
import { freePorts } from "../../tools/stack/ports.js";
import { eventually } from "./eventually.js";

export interface NatsCluster {
  /** Each node's client URL. */
  urls: string[];
  nodes: NatsServer[];
  /** Stops every node still running and removes their stores. */
  stop(): Promise<void>;
}

export async function startNatsCluster(size = 3, onLine?: (line: string) => void): Promise<NatsCluster> {
  const routePorts = await freePorts(size);
  const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`);
  const nodes = await Promise.all(
    routePorts.map((routePort, i) =>
      startNatsServer({ onLine, cluster: { serverName: `n${i}`, clusterName: "triggers", routePort, routes } }),
    ),
  );
  const urls = nodes.map((node) => node.url);
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    await jetStreamReady(urls);
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls, nodes, stop };
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
