// Serves a service's Connect, gRPC and gRPC-Web routes on its API port, health and /metrics on its admin port, and closes both gracefully.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import net from "node:net";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { Dependency } from "./dependencies.js";
import { errorBoundary } from "./errors.js";
import { HealthStatus, healthRoutes } from "./health.js";
import { apiJson, strictJsonRead } from "./json.js";
import { isConnectJson } from "./json-route.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { reflectionRoutes } from "./reflection.js";
import { acceptRequestId, connectionValues } from "./request-context.js";
import { refuseUnstorableText } from "./storable-text.js";
import { lingerAfterRefusals, settleUnreadBody } from "./unread-bodies.js";
import { answerUnreadableAsClientErrors, readRequests } from "./unreadable-requests.js";

/** A plain HTTP handler, for requests that are not RPCs; the type connect-node's adapter takes. */
export type HttpHandler = NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>;

export interface ServerOptions {
  host: string;
  port: number;
  /** Where health (gRPC and /healthz) and /metrics are served, apart from the API. */
  adminPort: number;
  logger: Logger;
  metrics: Metrics;
  /** The services served, for the health and reflection services. */
  services: DescService[];
  /** Methods of those services that this server never answers (the gateway's internal ones): reflection leaves them out. */
  hiddenMethods?: ReadonlySet<DescMethod>;
  routes: (router: ConnectRouter) => void;
  /** Run inside the request id and error handling, after the shared ones. */
  interceptors?: Interceptor[];
  /** Handles HTTP requests that are not RPCs (the gateway's REST routes). */
  fallback?: HttpHandler;
  /** Sees every API request first: answers CORS preflights itself (true) and marks allowed origins' answers (the gateway's). */
  cors?: (req: Parameters<HttpHandler>[0], res: Parameters<HttpHandler>[1]) => boolean;
  /** Connect JSON calls of these procedure paths are served by these handlers instead (see json-route.ts). */
  jsonRoutes?: Map<string, HttpHandler>;
  /** What the service cannot serve without: while one is down, it is not ready. */
  dependencies?: Dependency[];
  /** How long an HTTP/2 connection is kept before it is ended gracefully (MAX_CONNECTION_AGE_MS). */
  maxConnectionAgeMs: number;
  /** The largest RPC request read, in bytes; Connect's own default is 4 GiB. */
  readMaxBytes?: number;
}

export interface RunningServer {
  port: number;
  adminPort: number;
  health: HealthStatus;
  /** Stops being ready, stops taking connections, lets in-flight requests finish for up to graceMs, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/** How the API port bounds what a client may hold or send; the README's table of limits says why each value. */
export const connectionLimits = {
  /** Idle HTTP/1.1 connections outlive load balancers' (60 s is the common default): see listen(). */
  keepAliveMs: 65_000,
  /** A request's headers must have arrived this long after it began: a slowloris connection is dropped by then. */
  headersTimeoutMs: 20_000,
  /** A whole request, body included, must have arrived by then: a 5 MiB batch takes 42 s at 1 Mbit/s. */
  requestTimeoutMs: 60_000,
  /** Streams one HTTP/2 connection may have open at once; RFC 9113 asks for no fewer than 100. */
  maxConcurrentStreams: 1_000,
};

// Every HTTP/2 connection opens with this preface; an HTTP/1.1 request line never starts with "PRI".
const h2Preface = Buffer.from("PRI * HTTP/2.0");

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const health = new HealthStatus(options.services.map((service) => service.typeName));
  const api = await listen(apiHandler(options), options.host, options.port, options.maxConnectionAgeMs);
  const admin = await listen(adminHandler(options.metrics, health), options.host, options.adminPort, options.maxConnectionAgeMs);
  const watches = (options.dependencies ?? []).map((watch) => watch(health));
  health.started();
  options.logger.info({ port: api.port, adminPort: admin.port }, "serving");

  return {
    port: api.port,
    adminPort: admin.port,
    health,
    async close(graceMs) {
      health.draining();
      await api.close(graceMs);
      await Promise.all(watches.map((stop) => stop()));
      // Probes may ask until the very end: a process draining its calls is alive, though not ready.
      await admin.close(0);
    },
  };
}

/** What every RPC of every service runs through, before the service's own interceptors: request id, metrics, errors. */
export function sharedInterceptors(logger: Logger, metrics: Metrics): Interceptor[] {
  return [acceptRequestId, metrics.measureRpcs, errorBoundary(logger)];
}

function apiHandler(options: ServerOptions): HttpHandler {
  const connect = connectNodeAdapter({
    routes(router) {
      reflectionRoutes(options.services, options.hiddenMethods)(router);
      options.routes(router);
      answerUnreadableAsClientErrors(router);
    },
    interceptors: [
      readRequests,
      ...sharedInterceptors(options.logger, options.metrics),
      ...(options.interceptors ?? []),
      refuseUnstorableText,
    ],
    jsonOptions: { ...apiJson, ...strictJsonRead },
    contextValues: connectionValues,
    fallback: options.fallback,
    readMaxBytes: options.readMaxBytes,
  });
  return (req, res) => {
    settleUnreadBody(req, res);
    if (options.cors?.(req, res)) return;
    const jsonRoute = options.jsonRoutes?.get(req.url ?? "");
    if (jsonRoute && isConnectJson(req)) return jsonRoute(req, res);
    connect(req, res);
  };
}

/** The admin port: gRPC health for probes, /healthz for people and scripts, /metrics for Prometheus. */
function adminHandler(metrics: Metrics, health: HealthStatus): HttpHandler {
  const connect = connectNodeAdapter({
    routes(router) {
      healthRoutes(health)(router);
      reflectionRoutes([Health])(router);
    },
  });
  return (req, res) => {
    if (req.method === "GET" && req.url === "/metrics") return serveMetrics(metrics, res);
    if (req.method === "GET" && req.url === "/healthz") {
      const down = health.down;
      res.writeHead(health.ready ? 200 : 503, { "content-type": "text/plain" });
      return void res.end(health.ready ? "ok\n" : down.length ? `down: ${down.join(", ")}\n` : "not serving\n");
    }
    connect(req, res);
  };
}

function serveMetrics(metrics: Metrics, res: Parameters<HttpHandler>[1]) {
  metrics.registry.metrics().then(
    (text) => {
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(text);
    },
    (err: Error) => {
      res.writeHead(500);
      res.end(err.message);
    },
  );
}

interface Listening {
  port: number;
  close(graceMs: number): Promise<void>;
}

/**
 * Serves a handler over HTTP/1.1 and h2c on one port. A Kubernetes Service balances connections, not calls, and our
 * clients keep one HTTP/2 connection per peer: ended after maxAgeMs (GOAWAY; calls in flight finish), it is made
 * again to any ready replica, new ones included. Jittered, so that connections made together do not all end at once.
 */
async function listen(handler: HttpHandler, host: string, port: number, maxAgeMs: number): Promise<Listening> {
  // Idle HTTP/1.1 connections are kept longer than load balancers keep theirs (60 s is the common default): the side
  // that closes an idle connection first races the other's next request on it, which then fails.
  const h1 = http.createServer(
    {
      keepAliveTimeout: connectionLimits.keepAliveMs,
      headersTimeout: connectionLimits.headersTimeoutMs,
      requestTimeout: connectionLimits.requestTimeoutMs,
      // How often those timeouts are looked at; Node's default, 30 s, would let a late request run that much longer.
      connectionsCheckingInterval: 1_000,
    },
    handler,
  );
  // Node's HTTP server starts tracking its connections (which are idle, whose headers or body are late) when it
  // starts listening. This one never listens, as routeByPreface hands it its connections: told it listens, it
  // tracks them, so that draining closes its idle connections and the timeouts above are enforced.
  h1.emit("listening");
  lingerAfterRefusals(h1);
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: connectionLimits.maxConcurrentStreams } }, handler);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    const aged = setTimeout(() => session.close(), maxAgeMs * (0.9 + Math.random() * 0.2)).unref();
    session.once("close", () => {
      clearTimeout(aged);
      sessions.delete(session);
    });
  });

  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    routeByPreface(socket, h1, h2);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(port, host, resolve);
  });
  return {
    port: (listener.address() as AddressInfo).port,
    async close(graceMs) {
      const closed = new Promise((resolve) => listener.close(resolve));
      const cut = () => {
        for (const socket of sockets) socket.destroy();
      };
      // No grace is a cut, as a crash would make it: no GOAWAY first, which would let calls in flight end some other way.
      if (graceMs === 0) cut();
      h1.closeIdleConnections();
      for (const session of sessions) session.close();
      const deadline = setTimeout(cut, graceMs);
      await Promise.all([closed, until(() => sockets.size === 0, h1)]);
      clearTimeout(deadline);
      h1.close();
    },
  };
}

function routeByPreface(socket: net.Socket, h1: http.Server, h2: http2.Http2Server) {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < 3 && head.equals(h2Preface.subarray(0, head.length))) return;
    socket.off("data", onData);
    socket.pause();
    socket.unshift(head);
    if (head.subarray(0, 3).equals(h2Preface.subarray(0, 3))) {
      // The HTTP/2 session reads what is already buffered, then takes over the socket itself.
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
}

// Resolves once check() holds, looking again whenever the HTTP/1.1 server closes a connection.
function until(check: () => boolean, server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      server.closeIdleConnections();
      if (check()) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
  });
}
