// The standard grpc.health.v1 service, so that Kubernetes probes and gRPC tooling can ask whether we serve.
import { EventEmitter, on } from "node:events";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

/** Serving status per service name; "" stands for the whole server, as the protocol says. */
export class HealthStatus {
  readonly #statuses = new Map<string, Status>();
  readonly #changes = new EventEmitter();

  constructor(services: string[]) {
    for (const name of ["", ...services]) this.#statuses.set(name, Status.NOT_SERVING);
  }

  get serving(): boolean {
    return this.#statuses.get("") === Status.SERVING;
  }

  /** Marks every service serving or not: a process here is healthy as a whole or not at all. */
  setServing(serving: boolean): void {
    for (const name of this.#statuses.keys()) {
      this.#statuses.set(name, serving ? Status.SERVING : Status.NOT_SERVING);
    }
    this.#changes.emit("change");
  }

  status(service: string): Status | undefined {
    return this.#statuses.get(service);
  }

  all(): ReadonlyMap<string, Status> {
    return this.#statuses;
  }

  async *watch(service: string, signal: AbortSignal): AsyncGenerator<Status> {
    let last = this.status(service) ?? Status.SERVICE_UNKNOWN;
    yield last;
    for await (const _ of on(this.#changes, "change", { signal })) {
      const next = this.status(service) ?? Status.SERVICE_UNKNOWN;
      if (next !== last) {
        last = next;
        yield next;
      }
    }
  }
}

export function healthRoutes(health: HealthStatus) {
  return (router: ConnectRouter) =>
    router.service(Health, {
      check(req) {
        const status = health.status(req.service);
        if (status === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
        return { status };
      },
      async *watch(req, ctx) {
        try {
          for await (const status of health.watch(req.service, ctx.signal)) yield { status };
        } catch (err) {
          // The client went away: the watch ends, which is what it asked for.
          if (!ctx.signal.aborted) throw err;
        }
      },
      list() {
        return {
          statuses: Object.fromEntries([...health.all()].map(([name, status]) => [name, { status }])),
        };
      },
    });
}
