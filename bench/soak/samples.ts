// What the soak records every few seconds, and every kill it makes: the material of its verdict and its plots.

/** One service process at one moment; a reading it could not take is absent. */
export interface ProcessReading {
  service: string;
  pid: number;
  rssBytes?: number;
  /** V8's used heap, from the service's /metrics (nodejs_heap_size_used_bytes). */
  heapBytes?: number;
  /**
   * Open file descriptors (/proc/<pid>/fd, or the service's process_open_fds) less the connections others opened to
   * it, which its clients decide: what a leak of its own would grow.
   */
  fds?: number;
  /** Connections others opened to the process: on a port it listens on. */
  acceptedConnections?: number;
}

/** Postgres connections to the soak's database: every one, and those of each service's process. */
export interface PostgresReading {
  total: number;
  byService: Record<string, number>;
}

/** Things that happened between the previous sample and this one, each a second. */
export interface Rates {
  /** Publishes answered 2xx. */
  published: number;
  /** Webhooks the receiver answered 2xx. */
  delivered: number;
  /** Webhooks the receiver answered 500 on purpose. */
  failedAttempts: number;
  /** Events the live stream read. */
  streamed: number;
  /** Events the inbox workers acknowledged. */
  acked: number;
}

export interface Sample {
  /** Seconds since publishing began. */
  t: number;
  processes: ProcessReading[];
  /** Undefined when Postgres could not be asked. */
  postgres?: PostgresReading;
  /** Each durable consumer's messages not yet delivered or not yet acknowledged; undefined when it could not be read. */
  lag: Record<string, number | undefined>;
  /**
   * Of those, the ones delivered and not yet acknowledged: a consumer whose lag grows here holds messages it cannot
   * finish; one whose lag grows outside it is not being handed messages at all.
   */
  unacknowledged: Record<string, number | undefined>;
  rates: Rates;
}

export interface Kill {
  /** Seconds since publishing began. */
  t: number;
  service: string;
  pid?: number;
  /** The process that took its place. */
  newPid?: number;
  /** From the kill until the new process answered /healthz; undefined when it never did in time. */
  backAfterSeconds?: number;
}
