// The launcher's settings: the variables the services read, once, with the services' own defaults.
import path from "node:path";
import { adminPort, common, listenPort, loadConfig, optionalText, optionalUrl } from "../../services/shared/config.js";
import { localUrls, REPO_ROOT, SERVICE_NAMES, type ServiceName } from "./services.js";

type Env = Record<string, string | undefined>;

export interface StackConfig {
  ports: Record<ServiceName, number>;
  adminPorts: Record<ServiceName, number>;
  urls: Record<ServiceName, string>;
  host: string;
  /** Unset means: find or start a Postgres (see resolvePostgres). */
  databaseUrl?: string;
  /** Unset means: find or spawn a nats-server (see resolveNats). */
  natsUrl?: string;
  /** Unset means: generate one and keep it in dataDir. */
  adminToken?: string;
  /** Unset means: generate one and keep it in dataDir. */
  signingSecretsKey?: string;
  logLevel?: string;
  /** Where the launcher keeps its state: git-ignored `.data/` at the repository root. */
  dataDir: string;
}

function perService<T>(read: (name: ServiceName) => T): Record<ServiceName, T> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, read(name)])) as Record<ServiceName, T>;
}

export function loadStackConfig(env: Env = process.env): StackConfig {
  const ports = perService((name) => loadConfig({ port: listenPort(name) }, env).port);
  const adminPorts = perService((name) => loadConfig({ port: adminPort(name) }, env).port);
  // A service moved to another port is looked for there, unless its URL says otherwise.
  const ownUrls = perService((name) => loadConfig({ url: optionalUrl(`${name.toUpperCase()}_URL`) }, env).url);
  const derived = localUrls(ports);
  const urls = perService((name) => (name === "gateway" ? derived[name] : (ownUrls[name] ?? derived[name])));
  const settings = loadConfig(
    {
      host: common.host,
      databaseUrl: optionalUrl("DATABASE_URL"),
      natsUrl: optionalUrl("NATS_URL"),
      adminToken: optionalText("ADMIN_TOKEN"),
      signingSecretsKey: optionalText("SIGNING_SECRETS_KEY"),
      logLevel: optionalText("LOG_LEVEL"),
    },
    env,
  );
  return { ports, adminPorts, urls, ...settings, dataDir: path.join(REPO_ROOT, ".data") };
}
