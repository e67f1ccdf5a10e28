// The gateway process, the one service clients talk to: wiring only.
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { askAuthService } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { startKeyChecks } from "../shared/key-checks.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { connectNats } from "../shared/nats.js";
import { networks } from "../shared/networks.js";
import { startServer } from "../shared/server.js";
import { onShutdown } from "../shared/shutdown.js";
import { restAccessLog, rpcAccessLog } from "./access-log.js";
import { type AddressOf, clientAddress } from "./client-address.js";
import { loadGatewayConfig } from "./config.js";
import { EventBatcher } from "./event-batcher.js";
import { Forwarder } from "./forwarder.js";
import { proxyRoutes } from "./proxy-routes.js";
import { backends, publicMethods } from "./public-api.js";
import { restHandler } from "./rest-handler.js";
import { buildRestRoutes } from "./rest-routes.js";

const config = loadGatewayConfig();
const logger = createLogger("gateway", config.logLevel);
const metrics = createMetrics("gateway");

const services = backends(config);
const methods = publicMethods(services.map(({ service }) => service));
const nats = await connectNats(config.natsUrl, "gateway", logger);
const keyChecks = startKeyChecks(nats, askAuthService(createServiceClient(AuthService, config.authUrl)), config, logger);
const forwarder = new Forwarder(
  services,
  keyChecks.verifier,
  logger.child({ module: "forwarder" }),
  config.backendTimeoutMs,
  new EventBatcher(),
);
const restLogger = logger.child({ module: "rest" });
const trustedProxies = networks(config.trustedProxies);
const addressOf: AddressOf = (peer, forwardedFor) => clientAddress(peer, forwardedFor, trustedProxies);

const server = await startServer({
  host: config.host,
  port: config.port,
  logger,
  metrics,
  services: services.map(({ service }) => service),
  routes: proxyRoutes(methods, forwarder, addressOf),
  interceptors: [rpcAccessLog(logger.child({ module: "rpc" }))],
  fallback: restHandler({
    routes: buildRestRoutes(methods),
    forwarder,
    maxBodyBytes: config.maxBodyBytes,
    maxBatchBodyBytes: config.maxBatchBodyBytes,
    logger: restLogger,
    log: restAccessLog(restLogger, metrics.registry),
    addressOf,
  }),
});

onShutdown(logger, config.shutdownGraceMs, [
  ["server", () => server.close(config.shutdownGraceMs)],
  [
    "nats",
    () => {
      keyChecks.close();
      return nats.drain();
    },
  ],
]);
