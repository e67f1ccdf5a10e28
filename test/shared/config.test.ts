// Settings: defaults, parsing, and a clear refusal naming the variable for a bad value.
import test from "ava";
import { ConfigError, common, integer, loadConfig, optionalText, port, text, url } from "../../services/shared/config.js";

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
