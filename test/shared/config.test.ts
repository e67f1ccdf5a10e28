// Settings: defaults, parsing, and a clear refusal naming the variable for a bad value.
import test from "ava";
import {
  ConfigError,
  common,
  database,
  integer,
  jetStream,
  listenPorts,
  loadConfig,
  optionalText,
  originList,
  port,
  text,
  url,
} from "../../services/shared/config.js";

const spec = {
  port: port("SOME_PORT", 8080),
  name: text("SOME_NAME", "triggers"),
  token: optionalText("SOME_TOKEN"),
  target: url("SOME_URL", "http://127.0.0.1:1"),
  batch: integer("SOME_BATCH", 10, 1, 100),
};

test("config - defaults apply when variables are unset", (t) => {
  t.deepEqual(loadConfig(spec, {}), { port: 8080, name: "triggers", token: undefined, target: "http://127.0.0.1:1", batch: 10 });
});

test("config - set variables are parsed into their types", (t) => {
  const config = loadConfig(spec, { SOME_PORT: "9000", SOME_TOKEN: "t", SOME_URL: "nats://host:4222", SOME_BATCH: "100" });
  t.is(config.port, 9000);
  t.is(config.token, "t");
  t.is(config.target, "nats://host:4222");
  t.is(config.batch, 100);
});

test("config - a bad value stops start-up with a message naming the variable", (t) => {
  for (const env of [{ SOME_PORT: "http" }, { SOME_PORT: "70000" }, { SOME_BATCH: "0" }, { SOME_URL: "not a url" }]) {
    const err = t.throws(() => loadConfig(spec, env), { instanceOf: ConfigError });
    t.true(err!.message.startsWith(Object.keys(env)[0]!), err!.message);
  }
});

test("config - LOG_LEVEL takes pino's levels only, so a typo stops start-up instead of crashing inside the logger", (t) => {
  t.is(loadConfig(common, { LOG_LEVEL: "debug" }).logLevel, "debug");
  const err = t.throws(() => loadConfig(common, { LOG_LEVEL: "verbose" }), { instanceOf: ConfigError });
  t.regex(err!.message, /^LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "verbose"$/);
});

test("config - NATS_URL takes a comma-separated list of a cluster's servers, each a URL", (t) => {
  t.deepEqual(loadConfig(jetStream, {}).natsServers, ["nats://127.0.0.1:4222"]);
  const cluster = loadConfig(jetStream, { NATS_URL: "nats://nats-0:4222, nats://nats-1:4222" });
  t.deepEqual(cluster.natsServers, ["nats://nats-0:4222", "nats://nats-1:4222"]);
  t.throws(() => loadConfig(jetStream, { NATS_URL: "nats://nats-0:4222,nats-1 4222" }), { message: /^NATS_URL: expected a URL/ });
});

test("config - JETSTREAM_REPLICAS is 1 by default and at most 5", (t) => {
  t.is(loadConfig(jetStream, {}).jetStreamReplicas, 1);
  t.is(loadConfig(jetStream, { JETSTREAM_REPLICAS: "3" }).jetStreamReplicas, 3);
  t.throws(() => loadConfig(jetStream, { JETSTREAM_REPLICAS: "7" }), { message: /^JETSTREAM_REPLICAS/ });
});

test("config - each service's admin port is its API port plus 1000 unless <NAME>_ADMIN_PORT says otherwise", (t) => {
  t.deepEqual(loadConfig(listenPorts("inbox"), {}), { port: 8083, adminPort: 9083 });
  t.deepEqual(loadConfig(listenPorts("inbox"), { INBOX_PORT: "8080", INBOX_ADMIN_PORT: "9090" }), { port: 8080, adminPort: 9090 });
});

test("config - MIGRATE_ON_START is true unless set to false, and refuses anything else", (t) => {
  t.true(loadConfig(database, {}).migrateOnStart);
  t.false(loadConfig(database, { MIGRATE_ON_START: "false" }).migrateOnStart);
  t.throws(() => loadConfig(database, { MIGRATE_ON_START: "no" }), { message: 'MIGRATE_ON_START: expected true or false, got "no"' });
});

test("config - CORS_ALLOWED_ORIGINS takes origins, * and any-port origins, none when unset, and refuses what is not an origin", (t) => {
  const origins = { origins: originList("CORS_ALLOWED_ORIGINS") };
  t.deepEqual(loadConfig(origins, {}).origins, []);
  const allowed = "https://app.example.com, http://localhost:*,*";
  t.deepEqual(loadConfig(origins, { CORS_ALLOWED_ORIGINS: allowed }).origins, ["https://app.example.com", "http://localhost:*", "*"]);
  for (const bad of ["https://app.example.com/", "app.example.com", "ftp://files.example.com", "https://*.example.com"]) {
    t.throws(() => loadConfig(origins, { CORS_ALLOWED_ORIGINS: bad }), { message: /^CORS_ALLOWED_ORIGINS: ".*" is not an origin/ }, bad);
  }
});
