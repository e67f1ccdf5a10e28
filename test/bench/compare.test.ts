// `npm run bench -- --compare <ref>` in smoke mode: another commit is built beside this one, both are measured, and nothing is left behind.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import test from "ava";
import { compare } from "../../bench/compare.js";
import { planFor } from "../../bench/plan.js";
import { REPO_ROOT } from "../../tools/stack/services.js";

const run = promisify(execFile);

test("bench compare - an unknown section is refused before anything is built", async (t) => {
  await t.throwsAsync(
    compare("HEAD", ["nope"], 1, planFor(true), () => {}),
    { message: /unknown sections nope: choose from ingest, fixed, request-path, inbox, delivery/ },
  );
});

test("bench compare - both builds get a figure for every section, and the worktree is removed", async (t) => {
  t.timeout(8 * 60_000);
  const worktrees = async () => (await run("git", ["worktree", "list"], { cwd: REPO_ROOT })).stdout;
  const before = await worktrees();
  // dist/ is built by npm test; the other commit is built by the comparison itself.
  const { stdout } = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "bench/main.ts",
      "--smoke",
      "--compare",
      "HEAD",
      "--sections",
      "ingest,fixed,request-path,inbox,delivery",
      "--rounds",
      "1",
    ],
    { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const sections = ["ingest", "fixed 1000/s", "request path", "inbox", "delivery"];
  const rows = stdout.split("\n").filter((line) => sections.some((section) => line.startsWith(`| ${section}:`)));
  for (const section of sections)
    t.true(
      rows.some((row) => row.startsWith(`| ${section}:`)),
      `${section}: ${stdout}`,
    );
  // The climb stops at the first rate a build does not keep up with, so on a loaded machine one build may stop
  // short of a rate the other reached: that is said as "not reached", never as a change.
  const [firstRate] = planFor(true).deliveryRates;
  const reachedByOneBuild = (row: string) => row.includes("not reached") && !row.includes(`at ${firstRate}/s`);
  // Nor, loaded, may the base keep up with any rate: a capacity of 0, of which no change is a share.
  const noBaseCapacity = (row: string) => row.startsWith("| delivery: capacity events/s | 0 (");
  t.deepEqual(
    rows.filter((row) => row.includes("n/a") && !row.includes("undelivered") && !reachedByOneBuild(row) && !noBaseCapacity(row)),
    [],
  );
  t.is(await worktrees(), before);
});
