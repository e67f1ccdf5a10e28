// The standard grpc.health.v1 service, so that Kubernetes probes and gRPC tooling can ask whether we serve.
import { EventEmitter, on } from "node:events";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

/** The name a liveness probe asks after: serving while the process runs, whatever its dependencies do. */
export const livenessService = "liveness";

/**
 * Whether the process is ready to serve: started, not draining, and with every dependency it watches up.
 * Readiness is answered for "" (the whole server, as the protocol says) and for each service's name; a process here
 * is ready as a whole or not at all.
 */
export class HealthStatus {
  readonly #services: string[];
  readonly #down = new Set<string>();
  readonly #changes = new EventEmitter();
  #started = false;
  #draining = false;

  constructor(services: string[]) {
    this.#services = ["", ...services];
  }

  get ready(): boolean {
    return this.#started && !this.#draining && this.#down.size === 0;
  }

  started(): void {
    this.#update(() => {
      this.#started = true;
    });
  }

  /** Not ready from now on, so that traffic moves elsewhere while calls in flight finish. */
  draining(): void {
    this.#update(() => {
      this.#draining = true;
    });
  }

  /** Records whether a dependency (NATS, the database) is reachable. */
  dependency(name: string, up: boolean): void {
    this.#update(() => (up ? this.#down.delete(name) : this.#down.add(name)));
  }

  /** The dependencies down now, for logs and the HTTP health answer. */
  get down(): string[] {
    return [...this.#down];
  }

  status(service: string): Status | undefined {
    if (service === livenessService) return Status.SERVING;
    if (!this.#services.includes(service)) return undefined;
    return this.ready ? Status.SERVING : Status.NOT_SERVING;
  }

  all(): Map<string, Status> {
    return new Map([...this.#services, livenessService].map((name) => [name, this.status(name)!]));
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

  #update(change: () => void): void {
    const before = this.ready;
    change();
    if (this.ready !== before) this.#changes.emit("change");
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
