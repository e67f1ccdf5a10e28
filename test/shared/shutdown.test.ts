// Shutdown: a step that never finishes is cut off at the grace plus a margin, and the process still exits.
import { spawn } from "node:child_process";
import { once } from "node:events";
import test from "ava";

test("shutdown - a step that never finishes is abandoned after SHUTDOWN_GRACE_MS plus a margin, and the exit says so", async (t) => {
  const child = spawn(process.execPath, ["--import", "tsx", "test/shared/fixtures/endless-shutdown-step.ts"], {
    env: { ...process.env, SHUTDOWN_GRACE_MS: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    if (chunk.includes("ready")) child.kill("SIGTERM");
  });
  const [code] = await once(child, "exit");
  t.is(code, 1);
  const failure = output.split("\n").find((line) => line.includes('"shutdown step failed"'));
  t.truthy(failure, output);
  t.like(JSON.parse(failure!), { step: "endless", err: { message: "did not finish within 5000 ms" } });
});
