// The Dockerfile's structure, read rather than built (no Docker engine here): what it copies exists, layers cache, it runs as non-root.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import test from "ava";
import { dockerignorePatterns, ignoredBy, lineage, parseCopy, parseDockerfile, type Stage } from "./dockerfile.js";
import { REPO_ROOT } from "./render.js";

const stages = parseDockerfile(readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8"));
const ignore = dockerignorePatterns(readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8"));
const runtime = stages.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const copiesFromContext = (stage: Stage) =>
  of(stage, "COPY")
    .map((i) => parseCopy(i.value))
    .filter((copy) => !copy.from);
const stageNamed = (name: string) => stages.find((s) => s.name === name);
const parents = (stage: Stage) => lineage(stages, stage);

test("docker - the image is multi-stage, on Debian slim (argon2 is linked against glibc), not alpine", (t) => {
  t.true(stages.length >= 2, stages.map((s) => s.name).join(", "));
  for (const stage of stages) t.false(stage.from.includes("alpine"), stage.name);
  const base = parents(runtime).at(-1)!.from;
  t.regex(base, /^node:20-bookworm-slim$/);
});

test("docker - every stage copies the lockfile and installs before it copies sources, so dependency layers stay cached", (t) => {
  for (const stage of stages.filter((s) => of(s, "RUN").some((i) => /\bnpm ci\b/.test(i.value)))) {
    const order = stage.instructions.map((i) => (i.keyword === "COPY" ? parseCopy(i.value).sources.join(" ") : `${i.keyword} ${i.value}`));
    const lockfile = order.findIndex((line) => line.includes("package-lock.json"));
    const install = order.findIndex((line) => /\bnpm ci\b/.test(line));
    const firstSource = order.findIndex((line) => /\b(services|gen|tools)\b/.test(line) && !line.startsWith("RUN"));
    t.true(lockfile >= 0 && lockfile < install, `${stage.name}: package-lock.json copied before npm ci`);
    if (firstSource >= 0) t.true(install < firstSource, `${stage.name}: npm ci before the sources are copied`);
  }
});

test("docker - every stage that installs dependencies compiles argon2, whose prebuilt binary crashes Node 20", (t) => {
  const installing = stages.filter((s) => of(s, "RUN").some((i) => /\bnpm ci\b/.test(i.value)));
  t.true(installing.length >= 2);
  for (const stage of installing) {
    t.true(
      of(stage, "RUN").some((i) => /npm rebuild argon2 --build-from-source/.test(i.value)),
      `${stage.name} builds argon2 from source`,
    );
    const toolchain = parents(stage)
      .flatMap((s) => of(s, "RUN"))
      .map((i) => i.value)
      .join("\n");
    for (const tool of ["g++", "make", "python3"]) t.true(toolchain.includes(tool), `${stage.name} has ${tool}`);
  }
});

test("docker - the build stage copies everything tsconfig.build.json compiles, and the entry point's source exists", (t) => {
  const build = stages.find((s) => of(s, "RUN").some((i) => i.value.includes("npm run build")));
  t.truthy(build, "a stage runs npm run build");
  const copied = copiesFromContext(build!).flatMap((copy) => copy.sources);
  const buildConfig = JSON.parse(readFileSync(path.join(REPO_ROOT, "tsconfig.build.json"), "utf8"));
  for (const file of [...buildConfig.include, "tsconfig.build.json", buildConfig.extends.replace(/^\.\//, "")]) {
    t.true(copied.includes(file), `${file} is copied into ${build!.name}`);
  }
  t.true(existsSync(path.join(REPO_ROOT, "services", "run.ts")), "services/run.ts, compiled to dist/services/run.js");
});

test("docker - every path copied from the build context exists and is not kept out by .dockerignore", (t) => {
  const sources = stages.flatMap(copiesFromContext).flatMap((copy) => copy.sources);
  t.true(sources.length > 0);
  for (const source of sources) {
    t.true(existsSync(path.join(REPO_ROOT, source)), `${source} exists`);
    t.false(ignoredBy(ignore, source), `${source} is in the build context`);
  }
});

test("docker - .dockerignore keeps out dependencies, builds, data, git, tests and bench results", (t) => {
  for (const kept of ["node_modules", "services/auth/node_modules", "dist", ".data", ".git", "test", "bench/results", ".dist-staging-x"]) {
    t.true(ignoredBy(ignore, kept), kept);
  }
  t.false(ignoredBy(ignore, "services/auth/main.ts"));
});

test("docker - the runtime stage holds production dependencies, compiled code and the API reference only, and runs as a numeric non-root user", (t) => {
  const froms = of(runtime, "COPY").map((i) => parseCopy(i.value));
  const dependencies = froms.find((copy) => copy.sources.some((s) => s.endsWith("node_modules")));
  t.truthy(dependencies?.from, "node_modules comes from another stage");
  t.true(
    of(stageNamed(dependencies!.from!)!, "RUN").some((i) => /\bnpm ci\b.*--omit=dev/.test(i.value)),
    `${dependencies!.from} installs with npm ci --omit=dev`,
  );
  t.false(
    of(runtime, "RUN").some((i) => /\bnpm (ci|install)\b/.test(i.value)),
    "the runtime stage installs nothing itself",
  );
  t.deepEqual(
    copiesFromContext(runtime).flatMap((copy) => copy.sources),
    ["openapi", "package.json"],
  );
  const user = of(runtime, "USER").at(-1)?.value ?? "";
  t.regex(user, /^\d+(:\d+)?$/, "USER is numeric, so Kubernetes can verify runAsNonRoot");
  t.not(Number(user.split(":")[0]), 0);
  const env = of(runtime, "ENV")
    .map((i) => i.value)
    .join(" ");
  t.regex(env, /\bHOST=0\.0\.0\.0\b/);
  t.regex(env, /\bNODE_ENV=production\b/);
});

test("docker - the entry point is node dist/services/run.js, which takes the service as its argument", (t) => {
  const entrypoint = of(runtime, "ENTRYPOINT").at(-1)?.value ?? "";
  t.deepEqual(JSON.parse(entrypoint), ["node", "dist/services/run.js"]);
  t.is(of(runtime, "CMD").length, 0, "no CMD: the Deployment's args name the service");
});
