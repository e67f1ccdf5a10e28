// Floor: connect-node serving a trivial unary method over HTTP/1.1 with JSON, the least a Connect service costs.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { announcePort } from "../processes.js";

const handler = connectNodeAdapter({
  routes(router) {
    router.rpc(Health.method.check, () => ({ status: HealthCheckResponse_ServingStatus.SERVING }));
  },
});
const server = http.createServer(handler);
server.listen(0, "127.0.0.1", () => announcePort((server.address() as AddressInfo).port));
