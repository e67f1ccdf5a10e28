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

test("launch errors - a service that exits at start for a reason it names is told by that reason and its remedy alone", (t) => {
  const reason = JSON.stringify({
    level: 60,
    service: "gateway",
    reason: "EADDRINUSE",
    msg: "listen EADDRINUSE: address already in use 127.0.0.1:8080",
  });
  const error = new SupervisorError("exited", "gateway", "gateway exited before http://127.0.0.1:9080/healthz answered", [
    "starting",
    reason,
  ]);
  t.is(
    explainFailure(error),
    "gateway cannot start: listen EADDRINUSE: address already in use 127.0.0.1:8080\n" +
      "what to do: stop what holds that port (another npm start?), or set GATEWAY_PORT and GATEWAY_ADMIN_PORT to free ones",
  );
});

test("launch errors - a service that exits at start without a reason points at its output, and at no port", (t) => {
  const error = new SupervisorError("exited", "inbox", "inbox exited before http://127.0.0.1:9083/healthz answered", [
    '{"level":60,"service":"inbox","msg":"uncaught error"}',
  ]);
  const told = explainFailure(error);
  t.regex(told, /^inbox exited before/);
  t.regex(told, /uncaught error/);
  t.regex(told, /what to do: read inbox's output above$/);
  t.notRegex(told, /PORT/);
});

test("launch errors - a missing nats-server and a bad setting say what to do without a stack trace", (t) => {
  t.regex(explainFailure(new NatsServerMissingError()), /what to do: install it/);
  const badSetting = new ConfigError("LOG_LEVEL", "must be one of fatal, error, warn, info, debug, trace, silent");
  t.is(explainFailure(badSetting), badSetting.message);
});

test("launch errors - anything unforeseen is printed with its stack, to be reported", (t) => {
  t.regex(explainFailure(new TypeError("x is undefined")), /TypeError: x is undefined\n\s+at /);
});
