// The gateway process, the one service clients talk to: wiring only.
import { setMaxListeners } from "node:events";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { Arrivals } from "../shared/arrivals.js";
import { askAuthService } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { natsDependency } from "../shared/dependencies.js";
import { startKeyChecks } from "../shared/key-checks.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { connectNats } from "../shared/nats.js";
import { networks } from "../shared/networks.js";
import { EventIntake } from "../shared/publishing/event-intake.js";
import { startServer } from "../shared/server.js";
import { onShutdown } from "../shared/shutdown.js";
import { openRateLimits, openStreamSlots } from "../shared/streams.js";
import { restAccessLog, rpcAccessLog } from "./access-log.js";
import { Admission } from "./admission.js";
import { type AddressOf, clientAddress } from "./client-address.js";
import { loadGatewayConfig } from "./config.js";
import { corsHandler } from "./cors.js";
import { docsPages } from "./docs-pages.js";
import { restPublishing } from "./events/rest-publishing.js";
import { rpcPublishing } from "./events/rpc-publishing.js";
import { FailedAuthLimiter } from "./failed-auth-limiter.js";
import { Forwarder } from "./forwarder.js";
import { proxyRoutes } from "./proxy-routes.js";
import { backends, forwardedMethods, internalMethods, publicMethods, publicServices } from "./public-api.js";
import { RateLimiter } from "./rate-limiter.js";
import { restHandler } from "./rest-handler.js";
import { buildRestRoutes } from "./rest-routes.js";
import { SharedBuckets } from "./shared-buckets.js";
import { EventStreams } from "./watch/event-streams.js";
import { rpcWatch } from "./watch/rpc-watch.js";
import { sseWatch } from "./watch/sse-watch.js";
import { StreamSlots } from "./watch/stream-slots.js";

const config = loadGatewayConfig();
const logger = createLogger("gateway", config.logLevel);
const metrics = createMetrics("gateway");

const services = backends(config);
const forwarded = forwardedMethods(services.map(({ service }) => service));
const exposed = publicServices(config);
const nats = await connectNats(config.natsServers, "gateway", logger);
const intake = await EventIntake.open(nats, config, logger.child({ module: "events" }));
const keyChecks = startKeyChecks(nats, askAuthService(createServiceClient(AuthService, config.authUrl)), config, logger);
const limits = await openRateLimits(nats, config.jetStreamReplicas);
const rates = new RateLimiter(new SharedBuckets(limits));
const admission = new Admission(keyChecks.verifier, new FailedAuthLimiter(config.authFailuresPerMinute), rates);
const forwarder = new Forwarder(services, admission, logger.child({ module: "forwarder" }), config.backendTimeoutMs);
const slots = new StreamSlots(
  await openStreamSlots(nats, config.jetStreamReplicas),
  config.streamsPerKey,
  logger.child({ module: "streams" }),
);
const draining = new AbortController();
// Every open event stream listens for the drain: far more than the default of 10 listeners, and no leak.
setMaxListeners(0, draining.signal);
const arrivals = new Arrivals(nats);
const streams = new EventStreams(forwarder, slots, arrivals, draining.signal);
const restLogger = logger.child({ module: "rest" });
const trustedProxies = networks(config.trustedProxies);
const addressOf: AddressOf = (peer, forwardedFor) => clientAddress(peer, forwardedFor, trustedProxies);

const server = await startServer({
  host: config.host,
  port: config.port,
  adminPort: config.adminPort,
  maxConnectionAgeMs: config.maxConnectionAgeMs,
  // A gRPC or Connect call is held to the largest body REST takes.
  readMaxBytes: config.maxBatchBodyBytes,
  logger,
  metrics,
  services: exposed,
  hiddenMethods: internalMethods,
  dependencies: [natsDependency(nats, logger)],
  routes: (router) => {
    rpcPublishing(intake, admission, addressOf)(router);
    rpcWatch(streams, addressOf, config.slowReaderMs)(router);
    proxyRoutes(forwarded, forwarder, addressOf)(router);
  },
  interceptors: [rpcAccessLog(logger.child({ module: "rpc" }))],
  cors: corsHandler(config.corsAllowedOrigins),
  fallback: docsPages(
    restHandler({
      routes: buildRestRoutes(
        publicMethods(exposed),
        new Map([
          ...restPublishing({ intake, admission, maxBodyBytes: config.maxBodyBytes, maxBatchBodyBytes: config.maxBatchBodyBytes }),
          ...sseWatch({
            streams,
            addressOf,
            heartbeatMs: config.streamHeartbeatMs,
            slowReaderMs: config.slowReaderMs,
            logger: logger.child({ module: "streams" }),
          }),
        ]),
      ),
      forwarder,
      maxBodyBytes: config.maxBodyBytes,
      logger: restLogger,
      log: restAccessLog(restLogger, metrics.registry),
      addressOf,
    }),
  ),
});

onShutdown(logger, config.shutdownGraceMs, [
  // Event streams never end by themselves: they end first, telling their clients to reconnect to another replica.
  ["event streams", async () => draining.abort()],
  ["server", () => server.close(config.shutdownGraceMs)],
  [
    "nats",
    () => {
      intake.close();
      rates.close();
      slots.close();
      arrivals.close();
      keyChecks.close();
      return nats.drain();
    },
  ],
]);
