// What npm start prints when it cannot start: what went wrong, the failing program's last words, what to do.
import test from "ava";
import { ConfigError } from "../../services/shared/config.js";
import { explainFailure, LaunchError } from "../../tools/stack/launch-error.js";
import { NatsServerMissingError } from "../../tools/stack/nats.js";
import { SupervisorError } from "../../tools/stack/supervisor.js";

test("launch errors - a launch error tells the problem, then the program's output, then what to do", (t) => {
  const error = new LaunchError("postgres exited with code 1", "set DATABASE_URL", ["FATAL: could not bind"]);
  t.is(explainFailure(error), "postgres exited with code 1\n  FATAL: could not bind\nwhat to do: set DATABASE_URL");
});

test("launch errors - a service that exits at start points at its output and at its port variable", (t) => {
  const error = new SupervisorError("exited", "gateway", "gateway exited before http://127.0.0.1:8080/healthz answered", [
    "Error: listen EADDRINUSE: address already in use 127.0.0.1:8080",
  ]);
  const told = explainFailure(error);
  t.regex(told, /^gateway exited before/);
  t.regex(told, /EADDRINUSE/);
  t.regex(told, /what to do: .*GATEWAY_PORT/);
});

test("launch errors - a missing nats-server and a bad setting say what to do without a stack trace", (t) => {
  t.regex(explainFailure(new NatsServerMissingError()), /what to do: install it/);
  const badSetting = new ConfigError("LOG_LEVEL", "must be one of fatal, error, warn, info, debug, trace, silent");
  t.is(explainFailure(badSetting), badSetting.message);
});

test("launch errors - anything unforeseen is printed with its stack, to be reported", (t) => {
  t.regex(explainFailure(new TypeError("x is undefined")), /TypeError: x is undefined\n\s+at /);
});
