// The gateway's settings, read once at start.
import { defaultBatchBodyBytes, defaultBodyBytes } from "../shared/api-limits.js";
import {
  cidrList,
  common,
  eventWrites,
  integer,
  jetStream,
  keyChecks,
  listenPorts,
  loadConfig,
  originList,
  peers,
} from "../shared/config.js";

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...common,
      ...listenPorts("gateway"),
      authUrl: peers.authUrl,
      inboxUrl: peers.inboxUrl,
      deliveryUrl: peers.deliveryUrl,
      ...keyChecks,
      ...jetStream,
      ...eventWrites,
      /**
       * The largest REST request body read, in bytes. Event data alone may be 256 KiB (the event rules' limit);
       * 1 MiB leaves room for JSON escaping and the event's other fields while refusing floods early.
       */
      maxBodyBytes: integer("MAX_BODY_BYTES", defaultBodyBytes, 1),
      /** The largest body of POST /v1/events/batch, in bytes: up to 1000 events. */
      maxBatchBodyBytes: integer("MAX_BATCH_BODY_BYTES", defaultBatchBodyBytes, 1),
      /**
       * Proxies in front of the gateway (CIDR blocks) whose X-Forwarded-For is believed: the client address is
       * the nearest entry not among them. None by default: the client is the socket's peer.
       */
      trustedProxies: cidrList("TRUSTED_PROXIES"),
      /**
       * Web pages of these origins may call the API from a browser (CORS): REST, Connect and gRPC-Web. None by
       * default; `npm start` allows its own gateway and dev servers on localhost.
       */
      corsAllowedOrigins: originList("CORS_ALLOWED_ORIGINS"),
      /** Failed authentications a client address may make a minute (in each replica) before it must wait. */
      authFailuresPerMinute: integer("AUTH_FAILURES_PER_MINUTE", 20, 1),
      /** How long a call may wait on its backend when the client set no shorter deadline. */
      backendTimeoutMs: integer("BACKEND_TIMEOUT_MS", 30_000, 1),
      /** Event streams (WatchEvents, GET /v1/events/stream) one API key may hold open at once, over every replica. */
      streamsPerKey: integer("EVENT_STREAMS_PER_KEY", 10, 1),
      /** How often an idle Server-Sent Events stream sends a comment, so that proxies do not cut it. */
      streamHeartbeatMs: integer("EVENT_STREAM_HEARTBEAT_MS", 15_000, 100),
      /** A stream whose client has not taken an event within this long is ended with its cursor, to resume from. */
      slowReaderMs: integer("EVENT_STREAM_SLOW_READER_MS", 30_000, 1),
    },
    env,
  );
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
