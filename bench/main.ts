// `npm run bench`: starts a private stack and the floors, measures every section in one run, writes the report;
// `npm run bench -- --compare <ref>` measures chosen sections on this checkout and on another commit, in turns.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chart } from "./chart.js";
import { compare } from "./compare.js";
import { latencyBars, rows, throughputBars } from "./figures.js";
import { MemoryWatch } from "./memory.js";
import { planFor } from "./plan.js";
import { type ServerProcess, startServerProcess } from "./processes.js";
import { Progress } from "./progress.js";
import { consoleTable, everyFigureProduced, machine, markdown, type Report } from "./report.js";
import { measureDelivery } from "./sections/delivery.js";
import { measureFloors } from "./sections/floors.js";
import { measureInbox } from "./sections/inbox.js";
import { measureIngest } from "./sections/ingest.js";
import { type BenchStack, startBenchStack } from "./stack.js";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    out: { type: "string" },
    compare: { type: "string" },
    sections: { type: "string", default: "ingest" },
    rounds: { type: "string", default: "3" },
    "idle-streams": { type: "string", default: "0" },
  },
});
const plan = planFor(values.smoke!);

if (values.compare) await compareWith(values.compare);
else await measureEverything();

async function compareWith(ref: string) {
  const progress = new Progress();
  try {
    const table = await compare(
      ref,
      values.sections!.split(","),
      Number(values.rounds),
      plan,
      (what) => progress.step(what),
      Number(values["idle-streams"]),
    );
    progress.done();
    console.log(table);
  } catch (error) {
    progress.done();
    console.error(error);
    process.exitCode = 1;
  }
}

async function measureEverything() {
  // A smoke run checks the machinery, never the figures: it writes nowhere near the committed report.
  const outDir =
    values.out ?? (plan.smoke ? mkdtempSync(path.join(os.tmpdir(), "triggers-bench-")) : new URL("results/", import.meta.url).pathname);

  const progress = new Progress();
  const running: { stack?: BenchStack; alternative?: ServerProcess } = {};
  const cleanUp = async () => {
    await running.alternative?.stop();
    await running.stack?.stop();
  };
  process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));

  try {
    progress.step("starting a private stack");
    const stack = await startBenchStack();
    running.stack = stack;
    const alternativeKey = randomBytes(24).toString("base64url");
    const alternativeOrg = randomUUID();
    progress.step("starting the one-process alternative");
    const alternative = await startServerProcess("bench/alternative/server.ts", {
      DATABASE_URL: stack.databaseUrl,
      ALTERNATIVE_KEY: alternativeKey,
      ALTERNATIVE_ORG: alternativeOrg,
    });
    running.alternative = alternative;
    const memory = new MemoryWatch(stack.pids);
    const memoryIdle = await memory.now();

    const floors = await measureFloors(plan, stack.natsUrl, (what) => progress.step(what));
    memory.start();
    const stackTarget = { url: stack.gatewayUrl, key: stack.key };
    const alternativeTarget = { url: alternative.url, key: alternativeKey };
    const processes = { stack: stack.pids, nats: stack.natsPid, alternative: alternative.pid };
    const ingest = await measureIngest(plan, stackTarget, alternativeTarget, processes, (what) => progress.step(what));
    const delivery = await measureDelivery(plan, stackTarget, stack.pids.delivery, (what) => progress.step(what));
    const memoryUnderLoad = await memory.stop();
    const inbox = await measureInbox(
      plan,
      stack.databaseUrl,
      { ...stackTarget, orgId: stack.orgId },
      { ...alternativeTarget, orgId: alternativeOrg },
      (what) => progress.step(what),
    );
    progress.done();

    const measurements = { floors, ingest, delivery, inbox, memoryIdle, memoryUnderLoad, postgresShared: stack.postgresShared };
    const report: Report = { mode: plan.smoke ? "smoke" : "full", machine: machine(), rows: rows(measurements) };
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, "latest.json"), `${JSON.stringify({ ...report, measurements }, null, 2)}\n`);
    await writeFile(path.join(outDir, "latest.md"), markdown(report));
    await writeFile(path.join(outDir, "latest.svg"), chart(throughputBars(measurements), latencyBars(measurements)));
    console.log(consoleTable(report));
    // A smoke run checks only that every section produces a figure, so a missing one fails it.
    if (plan.smoke && !everyFigureProduced(report)) process.exitCode = 1;
    for (const story of delivery.steps.flatMap((s) => s.undelivered)) console.log(`undelivered ${story}`);
    console.log(`\nwritten to ${outDir}`);
  } catch (error) {
    progress.done();
    console.error(error);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}
