// Reads settings from environment variables once, at start, into a typed object; a bad value stops the process.
import { normalCidr } from "./networks.js";

/** pino's levels, quietest last. */
export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

type Env = Record<string, string | undefined>;

export interface Setting<T> {
  env: string;
  read(raw: string | undefined): T;
}

export class ConfigError extends Error {
  constructor(env: string, problem: string) {
    super(`${env}: ${problem}`);
    this.name = "ConfigError";
  }
}

export function text(env: string, fallback?: string): Setting<string> {
  return {
    env,
    read(raw) {
      const value = raw ?? fallback;
      if (value === undefined || value === "") throw new ConfigError(env, "is required");
      return value;
    },
  };
}

export function optionalText(env: string): Setting<string | undefined> {
  return { env, read: (raw) => (raw === "" ? undefined : raw) };
}

export function optionalUrl(env: string): Setting<string | undefined> {
  return { env, read: (raw) => (raw ? url(env, raw).read(raw) : undefined) };
}

export function integer(env: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): Setting<number> {
  return {
    env,
    read(raw) {
      if (raw === undefined || raw === "") return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(env, `expected an integer from ${min} to ${max}, got "${raw}"`);
      }
      return value;
    },
  };
}

export function boolean(env: string, fallback: boolean): Setting<boolean> {
  return {
    env,
    read(raw) {
      if (raw === undefined || raw === "") return fallback;
      if (raw === "true" || raw === "false") return raw === "true";
      throw new ConfigError(env, `expected true or false, got "${raw}"`);
    },
  };
}

export function url(env: string, fallback: string): Setting<string> {
  return {
    env,
    read(raw) {
      const value = raw || fallback;
      if (!URL.canParse(value)) throw new ConfigError(env, `expected a URL, got "${value}"`);
      return value;
    },
  };
}

/** A key of so many random bytes, in base64; undefined when unset, as another setting may hold it instead. */
export function optionalBase64Key(env: string, bytes: number): Setting<Buffer | undefined> {
  return {
    env,
    read(raw) {
      // A key read from a file (kubectl create secret --from-file) usually ends with a newline.
      const text = raw?.trim() ?? "";
      if (text === "") return undefined;
      const key = decodeKey(text, bytes);
      if (!key) throw new ConfigError(env, keyExpected(bytes));
      return key;
    },
  };
}

/** What a key setting takes, for the message refusing one; never quoting the value, which may be a real key. */
export const keyExpected = (bytes: number) => `expected ${bytes} random bytes in base64, as \`openssl rand -base64 ${bytes}\` makes`;

/**
 * Keys with ids, `<id>:<key in base64>`, comma-separated, in the order given (a keyring whose first key is the one in
 * use); none when unset. An id is up to 32 letters, digits, `.`, `_` or `-`; neither an id nor a key may be listed
 * twice, as a key listed under two ids would make a rotation that changes nothing. A message never quotes a key, nor
 * the text of an entry it cannot read, which may hold one.
 */
export function keyList(env: string, bytes: number): Setting<{ id: string; key: Buffer }[]> {
  return {
    env,
    read(raw) {
      const text = raw?.trim() ?? "";
      if (text === "") return [];
      const keys = text.split(",").map((entry, index) => {
        const colon = entry.indexOf(":");
        const id = entry.slice(0, Math.max(colon, 0)).trim();
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(id)) {
          throw new ConfigError(env, `entry ${index + 1} is not <id>:<key>, its id up to 32 letters, digits, ".", "_" or "-"`);
        }
        const key = decodeKey(entry.slice(colon + 1).trim(), bytes);
        if (!key) throw new ConfigError(env, `key ${id}: ${keyExpected(bytes)}`);
        return { id, key };
      });
      keys.forEach(({ id, key }, index) => {
        const earlier = keys.slice(0, index);
        if (earlier.some((other) => other.id === id)) throw new ConfigError(env, `key ${id} is listed twice`);
        const same = earlier.find((other) => other.key.equals(key));
        if (same) throw new ConfigError(env, `keys ${same.id} and ${id} are the same key`);
      });
      return keys;
    },
  };
}

// The key, when the text is exactly so many bytes in canonical base64.
function decodeKey(text: string, bytes: number): Buffer | undefined {
  const key = Buffer.from(text, "base64");
  return key.length === bytes && key.toString("base64") === text ? key : undefined;
}

/** URLs, comma-separated, such as the servers of a NATS cluster. */
export function urlList(env: string, fallback: string): Setting<string[]> {
  return {
    env,
    read(raw) {
      const urls = (raw || fallback).split(",").map((each) => each.trim());
      const bad = urls.find((each) => !URL.canParse(each));
      if (bad !== undefined) throw new ConfigError(env, `expected a URL, got "${bad}"`);
      return urls;
    },
  };
}

/** CIDR blocks (or single addresses), comma-separated, such as "127.0.0.0/8,::1"; empty means none. */
export function cidrList(env: string): Setting<string[]> {
  return {
    env,
    read(raw) {
      if (!raw) return [];
      return raw.split(",").map((text) => {
        const cidr = normalCidr(text);
        if (!cidr) throw new ConfigError(env, `"${text.trim()}" is not an address or a CIDR block`);
        return cidr;
      });
    },
  };
}

/**
 * Origins as browsers send them (`https://app.example.com`, no path), comma-separated: "*" for any, or a port of "*"
 * for any port of a host (`http://localhost:*`). None when unset.
 */
export function originList(env: string): Setting<string[]> {
  return {
    env,
    read(raw) {
      if (!raw) return [];
      return raw.split(",").map((text) => {
        const origin = text.trim();
        if (origin === "*" || isOrigin(origin.replace(/:\*$/, ""))) return origin.toLowerCase();
        throw new ConfigError(env, `"${origin}" is not an origin such as https://app.example.com or http://localhost:*`);
      });
    },
  };
}

// As a browser writes an Origin header: scheme, host (a name or an address) and a port unless it is the scheme's own.
function isOrigin(text: string): boolean {
  return /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(text) && new URL(text).origin === text.toLowerCase();
}

export const port = (env: string, fallback: number) => integer(env, fallback, 0, 65535);

export function oneOf<T extends string>(env: string, fallback: T, allowed: readonly T[]): Setting<T> {
  return {
    env,
    read(raw) {
      const value = raw || fallback;
      if (!allowed.includes(value as T)) throw new ConfigError(env, `expected one of ${allowed.join(", ")}, got "${value}"`);
      return value as T;
    },
  };
}

type Values<S> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export function loadConfig<S extends Record<string, Setting<unknown>>>(spec: S, env: Env = process.env): Values<S> {
  const entries = Object.entries(spec).map(([key, setting]) => [key, setting.read(env[setting.env])]);
  return Object.fromEntries(entries) as Values<S>;
}

/** The settings every service reads, with the defaults of a stack on one machine. */
export const common = {
  host: text("HOST", "127.0.0.1"),
  logLevel: oneOf("LOG_LEVEL", "info", logLevels),
  shutdownGraceMs: integer("SHUTDOWN_GRACE_MS", 10_000, 0),
  /** How long a service keeps an HTTP/2 connection before ending it gracefully, so that clients spread again. */
  maxConnectionAgeMs: integer("MAX_CONNECTION_AGE_MS", 300_000, 1_000),
};

/** Where each service listens unless <NAME>_PORT says otherwise, and so where the others look for it. */
export const defaultPorts = { gateway: 8080, auth: 8081, ingest: 8082, inbox: 8083, delivery: 8084 } as const;

export type ServiceName = keyof typeof defaultPorts;

export function listenPort(service: ServiceName): Setting<number> {
  return port(`${service.toUpperCase()}_PORT`, defaultPorts[service]);
}

/** A service's API port and its admin port. */
export function listenPorts(service: ServiceName) {
  return { port: listenPort(service), adminPort: adminPort(service) };
}

/** Where each service serves its health and metrics, apart from its API, unless <NAME>_ADMIN_PORT says otherwise. */
export function adminPort(service: ServiceName): Setting<number> {
  return port(`${service.toUpperCase()}_ADMIN_PORT`, defaultPorts[service] + 1000);
}

export function peerUrl(service: Exclude<ServiceName, "gateway">): Setting<string> {
  return url(`${service.toUpperCase()}_URL`, `http://127.0.0.1:${defaultPorts[service]}`);
}

export const peers = {
  authUrl: peerUrl("auth"),
  inboxUrl: peerUrl("inbox"),
  deliveryUrl: peerUrl("delivery"),
};

export const database = {
  databaseUrl: url("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/triggers"),
  /** Whether a service applies its schema's migrations at start, or only checks that they were (by `run.js migrate`). */
  migrateOnStart: boolean("MIGRATE_ON_START", true),
};

export const jetStream = {
  /** The NATS servers, comma-separated: one is enough, as a client learns the rest of a cluster from it. */
  natsServers: urlList("NATS_URL", "nats://127.0.0.1:4222"),
  /** How many copies of each stream and KV bucket JetStream keeps: 3 in a three-node cluster, 1 on one server. */
  jetStreamReplicas: integer("JETSTREAM_REPLICAS", 1, 1, 5),
};

/** What every process that writes events to the stream (ingest and the gateway) is told. */
export const eventWrites = {
  /** How long to wait for JetStream to acknowledge a write before answering unavailable. */
  publishTimeoutMs: integer("PUBLISH_TIMEOUT_MS", 5_000, 1),
};

/** How every process that checks API keys caches verdicts and reports keys' use. */
export const keyChecks = {
  /** How long a verdict on a key is trusted; revocations and rotations reach caches sooner, over NATS. */
  keyCacheTtlMs: integer("KEY_CACHE_TTL_MS", 60_000, 0),
  /** How often the keys used are reported to auth, for their "last used". */
  keyUsageReportMs: integer("KEY_USAGE_REPORT_MS", 10_000, 100),
};
