// Floors measured in the same run: what a bare HTTP server, a trivial Connect handler and JetStream itself serve here.
import { jetstreamPublishRate } from "../floors/jetstream.js";
import { type LoadResult, runLoad } from "../load.js";
import { ingestConnections, type Plan } from "../plan.js";
import { startServerProcess } from "../processes.js";

export interface Floors {
  bareHttp: LoadResult;
  connectUnary: LoadResult;
  /** Acknowledged JetStream publishes a second. */
  jetstream: number;
}

export async function measureFloors(plan: Plan, natsUrl: string, step: (what: string) => void): Promise<Floors> {
  step("floor: bare node:http");
  const bareHttp = await loadServer("bench/floors/bare-http.ts", "/", "{}", plan);
  step("floor: connect-node unary JSON");
  const connectUnary = await loadServer("bench/floors/connect-unary.ts", "/grpc.health.v1.Health/Check", "{}", plan);
  step("floor: JetStream publishes with acks");
  const jetstream = await jetstreamPublishRate(natsUrl, plan.floorSeconds);
  return { bareHttp, connectUnary, jetstream };
}

async function loadServer(script: string, path: string, body: string, plan: Plan): Promise<LoadResult> {
  const server = await startServerProcess(script);
  try {
    return await runLoad({
      url: `${server.url}${path}`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      connections: ingestConnections,
      durationSeconds: plan.floorSeconds,
    });
  } finally {
    await server.stop();
  }
}
