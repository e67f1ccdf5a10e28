// `npm run bench -- --smoke`: every section of the bench produces its figures. Never a timing: tests assert no durations.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import type { Report } from "../../bench/report.js";
import { REPO_ROOT } from "../../tools/stack/services.js";

test("bench - smoke mode produces a figure for every section, writes the report and says it checks nothing more", async (t) => {
  t.timeout(5 * 60_000);
  const out = await mkdtemp(path.join(os.tmpdir(), "bench-smoke-"));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  // dist/ is built by npm test; the bench runs the compiled services, as npm start does.
  await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/main.ts", "--smoke", "--out", out], { cwd: REPO_ROOT });

  const report = JSON.parse(await readFile(path.join(out, "latest.json"), "utf8")) as Report;
  t.is(report.mode, "smoke");
  const sections = new Set(report.rows.map((row) => row.section));
  for (const section of ["floor", "ingest", "1000/s", "delivery", "inbox", "memory"]) t.true(sections.has(section), section);
  const missing = report.rows.filter((row) => !Number.isFinite(row.value)).map((row) => `${row.section}: ${row.figure}`);
  t.deepEqual(missing, []);
  t.true(report.rows.some((row) => row.figure === "gateway under load"));
  const table = await readFile(path.join(out, "latest.md"), "utf8");
  t.regex(table, /\| ingest: events\/s, 64 connections \|/);
  // The smoke table says what it checks and never tells a target as missed: its seconds of load say nothing of them.
  t.regex(table, /checks only that every section produces a figure/);
  t.regex(table, /\| figure produced \|/);
  t.notRegex(table, /\| NO \|/);
  t.regex(await readFile(path.join(out, "latest.svg"), "utf8"), /^<svg /);
});
