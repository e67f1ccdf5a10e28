// The gateway's access lines: successes only at debug level, refusals at info, failures at warn.
import test from "ava";
import { pino } from "pino";
import { Registry } from "prom-client";
import { restAccessLog } from "../../services/gateway/access-log.js";

function capture(level: string) {
  const lines: { level: number; status: number }[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, log: restAccessLog(logger, new Registry()) };
}

const entry = (status: number) => ({ verb: "POST", route: "/v1/events", status, durationMs: 1.5 });

test("access log - successes are logged at debug, refused requests at info and failures at warn", (t) => {
  const { lines, log } = capture("debug");
  for (const status of [200, 404, 503]) log(entry(status));
  t.deepEqual(
    lines.map(({ level, status }) => [status, pino.levels.labels[level]]),
    [
      [200, "debug"],
      [404, "info"],
      [503, "warn"],
    ],
  );
});

test("access log - at the default level only what went wrong is logged", (t) => {
  const { lines, log } = capture("info");
  for (const status of [200, 201, 400, 500]) log(entry(status));
  t.deepEqual(
    lines.map((line) => line.status),
    [400, 500],
  );
});
