// Prod's migrations Job is named after the release: a Job cannot be changed, so a new release that rendered the same
// name would fail to apply until the last release's Job was deleted.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { describe } from "./objects.js";
import { K8S_DIR, type K8sObject, OVERLAYS, REPO_ROOT, renderKustomization } from "./render.js";

/**
 * Renders prod as an operator's release would: a copy of the overlay with its image's tag set, as `kustomize edit set
 * image` does in that folder. The copy lives in a temporary folder, so its base is named by a relative path to k8s/base
 * (Kustomize refuses absolute ones).
 */
async function renderRelease(tag: string): Promise<K8sObject[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "triggers-release-"));
  try {
    await cp(OVERLAYS.prod, dir, { recursive: true });
    const file = path.join(dir, "kustomization.yaml");
    const text = await readFile(file, "utf8");
    const edits: [RegExp, string][] = [
      [/^(\s*- )\.\.\/\.\.\/base$/m, `$1${path.relative(dir, path.join(K8S_DIR, "base"))}`],
      [/^(\s*newTag: ).*$/m, `$1"${tag}"`],
    ];
    let edited = text;
    for (const [pattern, replacement] of edits) {
      if (!pattern.test(edited)) throw new Error(`k8s/overlays/prod/kustomization.yaml has no line matching ${pattern}`);
      edited = edited.replace(pattern, replacement);
    }
    await writeFile(file, edited);
    return await renderKustomization(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const migrationJobs = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === "Job" && o.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"] === "migrations");

/** "registry.example.com/triggers:1.2.3" → "1.2.3": what follows the last colon, unless a slash follows it (a port). */
function tagOf(image: string): string | undefined {
  const colon = image.lastIndexOf(":");
  return colon >= 0 && !image.slice(colon).includes("/") ? image.slice(colon + 1) : undefined;
}

/** The Job controller labels its pods with the Job's name, so the name must also be a valid label value. */
const validJobName = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

test("k8s release - prod renders exactly one migrations Job, named after the tag of the image it runs", async (t) => {
  const jobs = migrationJobs(await renderKustomization(OVERLAYS.prod));
  t.is(jobs.length, 1, jobs.map(describe).join(", "));
  const job = jobs[0]!;
  const image: string = job.spec.template.spec.containers.find((c: any) => c.name === "migrations").image;
  t.truthy(tagOf(image), `${image} has a tag`);
  t.is(job.metadata.name, `migrations-${tagOf(image)}`);
  t.regex(job.metadata.name, validJobName);
});

test("k8s release - two releases render two migrations Jobs of different names, and every other object keeps its name", async (t) => {
  const [first, second] = await Promise.all([renderRelease("1.2.3"), renderRelease("1.2.4")]);
  t.deepEqual(migrationJobs(first).map(describe), ["Job/migrations-1.2.3"]);
  t.deepEqual(migrationJobs(second).map(describe), ["Job/migrations-1.2.4"]);
  const others = (objects: K8sObject[]) => objects.filter((o) => !migrationJobs([o]).length).map(describe);
  t.deepEqual(others(first), others(second));
});

test("k8s release - dev keeps the Job named migrations, the resource the Tiltfile starts the services after", async (t) => {
  t.deepEqual(migrationJobs(await renderKustomization(OVERLAYS.dev)).map(describe), ["Job/migrations"]);
});

test("k8s release - the README waits for the Job that prod renders for the tag it sets, and deletes that one", async (t) => {
  const readme = await readFile(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Run it on Kubernetes"), readme.indexOf("## Test it"));
  const tag = section.match(/^\s*TAG=(\S+)$/m)?.[1];
  t.truthy(tag, "the README sets TAG");
  const named = [...section.matchAll(/\bjob[/ ](migrations\S*)/g)].map((match) => match[1]!.replaceAll("$TAG", tag!));
  t.true(named.length >= 2, named.join(", "));
  const [job] = migrationJobs(await renderRelease(tag!));
  for (const name of named) t.is(name, job!.metadata.name);
});
