// The ingest service process: wiring only.
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { askAuthService, requireApiKey } from "../shared/authenticate.js";
import { createServiceClient } from "../shared/clients.js";
import { natsDependency } from "../shared/dependencies.js";
import { startKeyChecks } from "../shared/key-checks.js";
import { createLogger } from "../shared/logger.js";
import { createMetrics } from "../shared/metrics.js";
import { connectNats } from "../shared/nats.js";
import { EventIntake } from "../shared/publishing/event-intake.js";
import { startServer } from "../shared/server.js";
import { onShutdown } from "../shared/shutdown.js";
import { loadIngestConfig } from "./config.js";
import { ingestRoutes } from "./routes.js";

const config = loadIngestConfig();
const logger = createLogger("ingest", config.logLevel);

const nats = await connectNats(config.natsServers, "ingest", logger);
const intake = await EventIntake.open(nats, config, logger);
const keyChecks = startKeyChecks(nats, askAuthService(createServiceClient(AuthService, config.authUrl)), config, logger);

const server = await startServer({
  host: config.host,
  port: config.port,
  adminPort: config.adminPort,
  maxConnectionAgeMs: config.maxConnectionAgeMs,
  logger,
  metrics: createMetrics("ingest"),
  services: [IngestService],
  dependencies: [natsDependency(nats, logger)],
  routes: ingestRoutes(intake),
  interceptors: [requireApiKey(keyChecks.verifier)],
});

onShutdown(logger, config.shutdownGraceMs, [
  ["server", () => server.close(config.shutdownGraceMs)],
  [
    "nats",
    async () => {
      intake.close();
      keyChecks.close();
      await nats.drain();
    },
  ],
]);
