// The Tiltfile, read without Tilt (no Docker engine or cluster here): it parses, and every path, image and resource it names exists.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { lineage, parseDockerfile, type Stage } from "./dockerfile.js";
import { containers, imageRepository, isAppContainer, podTemplates } from "./objects.js";
import { type K8sObject, REPO_ROOT, renderKustomization } from "./render.js";

const run = promisify(execFile);
const tiltfile = path.join(REPO_ROOT, "Tiltfile");

interface Call {
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

async function python(args: string[]): Promise<string> {
  try {
    return (await run("python3", args, { encoding: "utf8" })).stdout;
  } catch (err: any) {
    if (err.code === "ENOENT")
      throw new Error("python3 is needed to read the Tiltfile (Starlark is Python syntax): install it and put it on the PATH");
    throw new Error(`python3 ${args.join(" ")} failed: ${String(err.stderr || err.message).trim()}`);
  }
}

let calls: Call[] = [];
let dev: K8sObject[] = [];
const named = (name: string) => calls.filter((call) => call.name === name);

test.before(async () => {
  await python(["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", tiltfile]);
  calls = JSON.parse(await python([path.join(REPO_ROOT, "test", "k8s", "tilt-calls.py"), tiltfile]));
  const kustomizations = named("kustomize").map((call) => call.args[0] as string);
  if (kustomizations.length !== 1) throw new Error(`the Tiltfile deploys ${kustomizations.length} kustomizations, not 1`);
  dev = await renderKustomization(path.join(REPO_ROOT, kustomizations[0]!));
});

const imageBuilds = () => [...named("docker_build"), ...named("docker_build_with_restart")];

const workdirOf = (stage: Stage) => stage.instructions.filter((i) => i.keyword === "WORKDIR").at(-1)?.value ?? "/";

/** The Dockerfile stage Tilt builds (with its parents' instructions first), the last one when it names no target. */
function buildStage(): Stage {
  const build = imageBuilds()[0]!;
  const text = readFileSync(path.join(REPO_ROOT, build.args[1] as string, (build.kwargs.dockerfile as string) ?? "Dockerfile"), "utf8");
  const stages = parseDockerfile(text);
  const target = build.kwargs.target as string | undefined;
  const stage = target ? stages.find((s) => s.name === target) : stages.at(-1);
  if (!stage) throw new Error(`no stage ${target} in the Dockerfile`);
  return {
    ...stage,
    instructions: lineage(stages, stage)
      .reverse()
      .flatMap((s) => s.instructions),
  };
}

test("tilt - the Tiltfile parses as Starlark (Python syntax) and loads only Tilt extensions", (t) => {
  t.true(calls.length > 0);
  for (const load of named("load")) t.regex(String(load.args[0]), /^ext:\/\//);
});

test("tilt - the image it builds is the one the dev overlay runs, from a Dockerfile stage that exists", (t) => {
  const builds = imageBuilds();
  t.is(builds.length, 1);
  const [ref, context] = builds[0]!.args as [string, string];
  const appImages = new Set(
    containers(dev)
      .filter(isAppContainer)
      .map((ref) => ref.container.image),
  );
  t.deepEqual([...appImages], [ref], "every Triggers container of the dev render runs the image Tilt builds");
  t.is(imageRepository(ref), ref);
  const dockerfile = path.join(REPO_ROOT, context, (builds[0]!.kwargs.dockerfile as string) ?? "Dockerfile");
  const stages = parseDockerfile(readFileSync(dockerfile, "utf8")).map((stage) => stage.name);
  const target = builds[0]!.kwargs.target as string | undefined;
  if (target) t.true(stages.includes(target), `stage ${target} among ${stages.join(", ")}`);
  t.deepEqual(builds[0]!.kwargs.entrypoint, ["node", "dist/services/run.js"]);
});

test("tilt - every local path it syncs or falls back on exists, synced to the same path under the image's WORKDIR", (t) => {
  const paths = [
    ...named("sync").map((call) => call.args[0] as string),
    ...named("fall_back_on").flatMap((call) => call.args[0] as string[]),
    ...imageBuilds().map((call) => call.args[1] as string),
  ];
  t.true(paths.length > 3);
  for (const file of paths) t.true(existsSync(path.join(REPO_ROOT, file)), file);
  const workdir = workdirOf(buildStage());
  for (const call of named("sync")) t.is(call.args[1], path.posix.join(workdir, call.args[0] as string));
});

test("tilt - the restart file lies where the containers can write and no volume hides it", (t) => {
  const restartFile = imageBuilds()[0]!.kwargs.restart_file as string;
  t.truthy(restartFile, "restart_file is set: the extension's default is under /tmp, which the pods mount empty");
  const mounts = containers(dev)
    .filter(isAppContainer)
    .flatMap((ref) => (ref.container.volumeMounts ?? []).map((m: any) => m.mountPath as string));
  for (const mount of mounts) t.false(restartFile.startsWith(`${mount}/`), `${restartFile} is under the volume at ${mount}`);
  const workdir = workdirOf(buildStage());
  t.true(restartFile.startsWith(`${workdir}/`), `${restartFile} is in the WORKDIR ${workdir}, which the image's user owns`);
});

test("tilt - every k8s_resource is a workload of the dev render, every workload has one, and dependencies name them", (t) => {
  const workloads = podTemplates(dev).map((pod) => pod.object.metadata.name);
  const resources = named("k8s_resource").map((call) => call.args[0] as string);
  t.deepEqual([...resources].sort(), [...workloads].sort());
  for (const call of named("k8s_resource")) {
    for (const dep of (call.kwargs.resource_deps as string[] | undefined) ?? [])
      t.true(resources.includes(dep), `${call.args[0]} depends on ${dep}`);
    t.true(Array.isArray(call.kwargs.labels) && (call.kwargs.labels as string[]).length > 0, `${call.args[0]} has labels`);
  }
});

test("tilt - infrastructure and migrations start before the services that need them", (t) => {
  const deps = (name: string) => (named("k8s_resource").find((call) => call.args[0] === name)?.kwargs.resource_deps as string[]) ?? [];
  t.true(deps("migrations").includes("postgres"));
  for (const service of ["auth", "inbox", "delivery"]) t.true(deps(service).includes("migrations"), service);
  for (const service of ["gateway", "auth", "ingest", "inbox", "delivery"]) t.true(deps(service).includes("nats"), service);
});

test("tilt - port forwards reach ports the pods expose: the gateway on 8080, NATS monitoring on 8222, Postgres on 5432", (t) => {
  const forwards = new Map<string, string[]>();
  for (const call of named("k8s_resource"))
    forwards.set(call.args[0] as string, ((call.kwargs.port_forwards as string[]) ?? []).map(String));
  t.true(forwards.get("gateway")?.includes("8080"));
  t.true(forwards.get("nats")?.includes("8222"));
  t.true(forwards.get("postgres")?.includes("5432"));
  for (const pod of podTemplates(dev)) {
    const exposed = (pod.spec.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => String(p.containerPort)));
    for (const forward of forwards.get(pod.object.metadata.name) ?? []) {
      const containerPort = forward.split(":").at(-1)!;
      t.true(exposed.includes(containerPort), `${pod.owner} exposes ${containerPort}`);
    }
  }
});
