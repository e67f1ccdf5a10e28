// The gateway process, the one service clients talk to: wiring only.
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { KeyVerifier } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { startServer } from "../shared/server.js";
import { onShutdown } from "../shared/shutdown.js";
import { restAccessLog, rpcAccessLog } from "./access-log.js";
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
const verifier = new KeyVerifier(createServiceClient(AuthService, config.authUrl), config.keyCacheTtlMs);
const forwarder = new Forwarder(services, verifier, logger.child({ module: "forwarder" }), config.backendTimeoutMs, new EventBatcher());
const restLogger = logger.child({ module: "rest" });

const server = await startServer({
  host: config.host,
  port: config.port,
  logger,
  metrics,
  services: services.map(({ service }) => service),
  routes: proxyRoutes(methods, forwarder),
  interceptors: [rpcAccessLog(logger.child({ module: "rpc" }))],
  fallback: restHandler({
    routes: buildRestRoutes(methods),
    forwarder,
    maxBodyBytes: config.maxBodyBytes,
    maxBatchBodyBytes: config.maxBatchBodyBytes,
    logger: restLogger,
    log: restAccessLog(restLogger, metrics.registry),
  }),
});

onShutdown(logger, config.shutdownGraceMs, [["server", () => server.close(config.shutdownGraceMs)]]);
